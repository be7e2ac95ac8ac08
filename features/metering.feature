Feature: Metering
  A server is billed for every second it exists, whether it runs or not, at the price it was ordered
  at. The first hour is paid when the server is ordered; the billing run charges the rest every hour.
  A calendar month never costs more than the server's monthly price. The billing run remembers up to
  when each server was billed, so a missed run loses nothing and a repeated run charges nothing twice.
  A "Старт" server in Moscow costs 0.95 an hour and at most 300.00 a month.

  Background:
    Given it is 2026-01-15 10:00
    And Alice has an account with a balance of 1000.00

  Scenario: Usage is charged per hour after the prepaid first hour
    Given Alice has a running "Старт" server "web-1" in Moscow
    When 2 hours pass
    And the billing run happens
    Then the billing run charges 0.95
    And Alice's balance is 998.10 with nothing held

  Scenario: The last seconds are billed to the second
    Given Alice has a running "Старт" server "web-1" in Moscow
    When 1 hour, 20 minutes and 5 seconds pass
    And Alice deletes the server "web-1"
    Then Alice's last usage charge for "web-1" is 0.317986

  Scenario: A single second is rounded to the micro-unit
    Given Alice has a running "Старт" server "web-1" in Moscow
    When 1 hour and 1 second pass
    And Alice deletes the server "web-1"
    Then Alice's last usage charge for "web-1" is 0.000264

  Scenario: A missed billing run loses nothing
    Given Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing run happens
    When 4 hours pass
    And the billing run happens
    Then the billing run charges 3.80
    And Alice's balance is 994.30 with nothing held

  Scenario: A repeated billing run charges nothing twice
    Given Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing run happens
    When the billing run happens
    Then the billing run charges 0.00
    And Alice's balance is 998.10 with nothing held

  Scenario: An order placed while the billing run goes is charged once, and the run only what was due
    Given Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    When Alice orders a "Старт" server "web-2" in Moscow while the billing run happens
    Then the billing run charges 0.95
    And Alice's balance is 997.15 with nothing held

  Scenario: A stopped server is still billed for what it reserves
    Given Alice has a running "Старт" server "web-1" in Moscow
    And Alice has stopped the server "web-1"
    When 3 hours pass
    And the billing run happens
    Then the billing run charges 1.90

  Scenario: A resize bills the old size up to the resize and the new size after it
    Given Alice has a running "Старт" server "web-1" in Moscow
    And 1 hour and 30 minutes pass
    And Alice has resized the server "web-1" to 2 cores, 1024 MiB of memory and 20 GiB of disk
    When 1 hour and 30 minutes pass
    And the billing run happens
    Then the billing run charges 2.175
    And Alice's balance is 996.40 with nothing held

  Scenario: A month never costs more than the monthly price
    Given Alice has a running "Старт" server "web-1" in Moscow
    When it is 2026-01-31 23:00
    And the billing run happens
    Then Alice has paid 300.00 for "web-1" in January 2026
    And Alice's balance is 700.00 with nothing held

  Scenario: A new month starts a new monthly price
    Given Alice has a running "Старт" server "web-1" in Moscow
    And it is 2026-01-31 23:00
    And the billing run happens
    When it is 2026-02-01 03:00
    And the billing run happens
    Then the billing run charges 2.85
    And Alice has paid 2.85 for "web-1" in February 2026

  Scenario: Usage across midnight at the month's end is split between the months
    Given it is 2026-01-31 22:00
    And Alice has a running "Старт" server "web-1" in Moscow
    When it is 2026-02-01 02:00
    And the billing run happens
    Then the billing run charges 2.85
    And Alice has paid 1.90 for "web-1" in January 2026
    And Alice has paid 1.90 for "web-1" in February 2026

  Scenario: Usage is charged even when it takes the balance below zero
    Given Bob has an account with a balance of 1.00
    And Bob has a running "Старт" server "bob-1" in Moscow
    When 3 hours pass
    And the billing run happens
    Then Bob's balance is -1.85 with nothing held
