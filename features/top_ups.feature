Feature: Top-ups
  A customer puts money on the balance by paying at the payment gateway. The gateway's word is what
  counts: a payment is credited once, when the gateway says it succeeded, however often and in
  whatever order we are told about it; a canceled payment moves nothing. A payment restores an
  account that had run out of money. An administrator can give a payment back, in full or in parts,
  through the gateway.

  Scenario: A top-up paid at the checkout is credited once
    Given Alice has an account
    And Alice has started a top-up of 500.00
    When Alice pays it at the checkout
    And the checkout is posted 2 more times
    Then Alice's balance is 500.00 with nothing held
    And Alice's top-up is succeeded
    And Alice's transactions show one payment of 500.00

  Scenario: A canceled top-up moves nothing
    Given Alice has an account
    And Alice has started a top-up of 500.00
    When Alice cancels it at the checkout
    And Alice pays it at the checkout
    Then Alice's balance is 0.00 with nothing held
    And Alice's top-up is canceled

  Scenario: Word of a payment the gateway does not confirm moves nothing
    Given Alice has an account
    And Alice has started a top-up of 500.00
    When we are told Alice's top-up succeeded before she paid
    And we are told a payment the gateway never made succeeded
    Then Alice's balance is 0.00 with nothing held
    And Alice's top-up is pending

  Scenario: A top-up outside the limits is refused
    Given Alice has an account
    When Alice starts a top-up of 99.99
    Then the request is refused as rule violation
    And Alice has no top-ups

  Scenario: The same request twice opens one payment
    Given Alice has an account
    When Alice starts a top-up of 500.00 with the key "first"
    And Alice starts a top-up of 500.00 with the key "first"
    Then Alice has 1 top-up

  Scenario: A top-up paid but never reported is found by the reconciliation
    Given Alice has an account
    And Alice has started a top-up of 500.00
    And the buyer paid at the gateway and no one told us
    When 11 minutes pass
    And the payments reconciliation runs
    And the payments reconciliation runs
    Then Alice's balance is 500.00 with nothing held
    And Alice's transactions show one payment of 500.00

  Scenario: Paying restores an account that ran out of money
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    And Alice's account is restricted
    When Alice pays 100.00
    Then Alice's account is active
    And Alice is told "Thank you: your account is active again"

  Scenario: An administrator refunds a top-up in two parts
    Given Alice has an account
    And Alice has started a top-up of 500.00
    And Alice pays it at the checkout
    When the administrator refunds 200.00 of Alice's top-up
    And the administrator refunds the rest of Alice's top-up
    Then Alice's balance is 0.00 with nothing held
    And Alice's top-up has 500.00 refunded
