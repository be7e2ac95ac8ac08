Feature: The ledger
  Every movement of money takes from one account exactly what it gives to another, so the books
  always balance. An order first holds its first charge; the hold becomes revenue when the server
  runs and goes back to the balance when it cannot be built. A customer can never spend more than
  the balance holds. Nothing is ever edited: a mistake is undone by a new, opposite movement.

  Background:
    Given Alice has an account with a balance of 100.00

  Scenario: An order holds its first charge while the server is being built
    Given the background workers are busy
    When Alice orders a "Старт" server "web-1" in Moscow
    Then Alice's balance is 99.05 with 0.95 held
    And the provider has earned 0.00

  Scenario: The hold becomes revenue when the server runs
    Given the background workers are busy
    And Alice has ordered a "Старт" server "web-1" in Moscow
    When the background workers catch up
    Then the server "web-1" is running
    And Alice's balance is 99.05 with nothing held
    And the provider has earned 0.95

  Scenario: The hold goes back to the balance when the server cannot be built
    Given the hypervisor fails to start the guest
    When Alice orders a "Старт" server "web-1" in Moscow
    Then the server "web-1" has failed
    And Alice's balance is 100.00 with nothing held
    And the provider has earned 0.00

  Scenario: An order the balance cannot cover is refused
    Given Bob has an account with a balance of 0.50
    When Bob orders a "Старт" server "bob-1" in Moscow
    Then the order is refused as insufficient funds
    And Bob's balance is 0.50 with nothing held
    And Bob has no servers

  Scenario: An administrator refunds a usage charge
    Given Alice has a running "Старт" server "web-1" in Moscow
    And 3 hours pass
    And the billing run happens
    When an administrator refunds Alice's last usage charge for "web-1" because "node outage"
    Then Alice's balance is 99.05 with nothing held
    And the provider has earned 0.95

  Scenario: A charge is refunded only once
    Given Alice has a running "Старт" server "web-1" in Moscow
    And 3 hours pass
    And the billing run happens
    And an administrator refunded Alice's last usage charge for "web-1" because "node outage"
    When an administrator refunds Alice's last usage charge for "web-1" because "node outage"
    Then the request is refused as conflict
    And Alice's balance is 99.05 with nothing held

  Scenario: A mistaken credit is corrected by a reversal, not an edit
    When an administrator credits Alice 500.00 because "typo: meant 50.00"
    And the administrator reverses that credit because "wrong amount"
    Then Alice's balance is 100.00 with nothing held
    And Alice's statement reads, newest first:
      | movement   | amount  |
      | reversal   | -500.00 |
      | adjustment | 500.00  |
      | adjustment | 100.00  |

  Scenario: The books balance after a busy day
    Given Bob has an account with a balance of 50.00
    And a promo code "GIFT100" that credits 100.00 to the balance
    And Alice has a running "Старт" server "web-1" in Moscow
    And the hypervisor fails to start the guest
    When Bob orders a "Базовый" server "bob-1" in Moscow
    And Bob redeems the promo code "GIFT100"
    And 5 hours pass
    And the billing run happens
    And Alice deletes the server "web-1"
    And the background workers catch up
    Then every movement in the books takes from one account exactly what it gives to another
    And every balance is the sum of the movements of its account
