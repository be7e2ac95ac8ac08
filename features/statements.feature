Feature: Monthly statements
  A customer's statement for a calendar month (UTC) starts from the balance the month opened
  with, lists what was charged for each server (the time it existed in the month, and the sum),
  then every other movement by its kind (top-ups and payments, promo credits, refunds,
  corrections), and ends with the closing balance. The lines add up to the closing balance, which
  is the ledger's own: the next month opens with it.

  Background:
    Given it is 2026-03-01 00:00
    And Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: A month with an order, usage, a payment and a refund sums to the ledger
    When 10 hours pass
    And the billing run happens
    And Alice pays 500.00
    And an administrator refunds Alice's last usage charge for "web-1" because "maintenance overran"
    Then Alice's statement for 2026-03 opens at 0.00
    And it charges "web-1" 9.50 for 10.00 hours
    And it lists payments for 500.00
    And it lists refunds for 8.55
    And it lists adjustments for 100.00
    And its lines add up to a closing balance of 599.05
    And that closing balance is Alice's balance in the ledger

  Scenario: One month's closing balance is the next month's opening balance
    When it is 2026-03-31 23:00
    And the billing run happens
    And it is 2026-04-02 00:00
    And the billing run happens
    Then Alice's statement for 2026-03 opens at 0.00
    And it charges "web-1" 300.00 for 744.00 hours, its monthly price
    And Alice's statement for 2026-04 opens at the closing balance of 2026-03
    And it charges "web-1" 22.80 for 24.00 hours
    And its lines add up to a closing balance that is Alice's balance in the ledger

  Scenario: A month that has not begun has no statement
    When Alice asks for her statement for 2026-05
    Then the request is refused as rule violation
