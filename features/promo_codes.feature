Feature: Promo codes
  A promo code takes a percent or a fixed amount off an order, or credits a bonus to the balance.
  A code has a validity window, a total number of uses, a number of uses per customer, and may be
  limited to some tariffs or locations. A percent discount lasts for the first charge, for some days,
  or forever. The "Старт" tariff in Moscow costs 0.95 an hour, which is its first charge.

  Background:
    Given Alice has an account with a balance of 100.00

  Scenario: A percent code takes its share off the first charge
    Given a promo code "SPRING20" for 20% off the first charge
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "SPRING20"
    Then the server "web-1" is running
    And Alice's balance is 99.24 with nothing held

  Scenario: A first-charge discount does not reduce later usage
    Given a promo code "HALF" for 50% off the first charge
    And Alice has a running "Старт" server "web-1" in Moscow ordered with promo code "HALF"
    When 2 hours pass
    And the billing run happens
    Then the billing run charges 0.95

  Scenario: A discount for some days lasts exactly that long
    Given a promo code "HALF2D" for 50% off for 2 days
    And Alice has a running "Старт" server "web-1" in Moscow ordered with promo code "HALF2D"
    When 48 hours pass
    And the billing run happens
    Then the billing run charges 22.325
    When 24 hours pass
    And the billing run happens
    Then the billing run charges 22.80

  Scenario: A discount forever still applies days later
    Given a promo code "HALFEVER" for 50% off forever
    And Alice has a running "Старт" server "web-1" in Moscow ordered with promo code "HALFEVER"
    When 10 days pass
    And the billing run happens
    Then the billing run charges 113.525

  Scenario: A fixed discount is taken off the first charge
    Given a promo code "MINUS50" for 0.50 off the first charge
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "MINUS50"
    Then the server "web-1" is running
    And Alice's balance is 99.55 with nothing held

  Scenario: A fixed discount larger than the first charge makes it free, never negative
    Given a promo code "FREEHOUR" for 5.00 off the first charge
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "FREEHOUR"
    Then the server "web-1" is running
    And Alice's balance is 100.00 with nothing held

  Scenario: A bonus code credits the balance
    Given a promo code "GIFT100" that credits 100.00 to the balance
    When Alice redeems the promo code "GIFT100"
    Then Alice's balance is 200.00 with nothing held

  Scenario: A bonus code is not a discount on an order
    Given a promo code "GIFT100" that credits 100.00 to the balance
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "GIFT100"
    Then the order is refused as promo code rejected
    And the reason given is "is redeemed on the balance page"

  Scenario: A code cannot be used before its validity starts
    Given a promo code "SPRING20" for 20% off the first charge
    And the code "SPRING20" is valid from 2026-03-01
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "SPRING20"
    Then the order is refused as promo code rejected
    And the reason given is "is not valid yet"
    And Alice has no servers

  Scenario: A code cannot be used once it has expired
    Given a promo code "SPRING20" for 20% off the first charge
    And the code "SPRING20" is valid until 2026-01-01
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "SPRING20"
    Then the order is refused as promo code rejected
    And the reason given is "has expired"

  Scenario: A code runs out after its total number of uses
    Given Bob has an account with a balance of 100.00
    And a promo code "ONLY1" for 20% off the first charge
    And the code "ONLY1" can be used 1 time in total
    And Alice has a running "Старт" server "web-1" in Moscow ordered with promo code "ONLY1"
    When Bob orders a "Старт" server "bob-1" in Moscow with promo code "ONLY1"
    Then the order is refused as promo code rejected
    And the reason given is "has been used up"
    And Bob's balance is 100.00 with nothing held

  Scenario: A customer cannot use a code more often than allowed per customer
    Given a promo code "SPRING20" for 20% off the first charge
    And Alice has a running "Старт" server "web-1" in Moscow ordered with promo code "SPRING20"
    When Alice orders a "Старт" server "web-2" in Moscow with promo code "SPRING20"
    Then the order is refused as promo code rejected
    And the reason given is "already used"

  Scenario: A code for one tariff does not apply to another
    Given a promo code "BASIC20" for 20% off the first charge
    And the code "BASIC20" only applies to the "Базовый" tariff
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "BASIC20"
    Then the order is refused as promo code rejected
    And the reason given is "does not apply to this tariff"

  Scenario: A code for one location does not apply in another
    Given a promo code "AMS20" for 20% off the first charge
    And the code "AMS20" only applies in Amsterdam
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "AMS20"
    Then the order is refused as promo code rejected
    And the reason given is "does not apply to this location"

  Scenario: A deactivated code is refused
    Given a promo code "SPRING20" for 20% off the first charge
    And the code "SPRING20" has been deactivated
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "SPRING20"
    Then the order is refused as promo code rejected
    And the reason given is "is not active"

  Scenario: Two orders racing for the last use of a code: exactly one wins
    Given Bob has an account with a balance of 100.00
    And a promo code "ONLY1" for 20% off the first charge
    And the code "ONLY1" can be used 1 time in total
    When Alice and Bob order a "Старт" server in Moscow with promo code "ONLY1" at the same moment
    Then exactly one of the two orders is accepted
    And the other order is refused as promo code rejected
    And the promo code "ONLY1" has been used 1 time
    And exactly one server was created with the discount
