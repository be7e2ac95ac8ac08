Feature: Pricing
  A server is priced per hour from the resources it reserves, at the rates of its location. A month
  never costs more than 730 hours, and never more than the monthly price of the tariff it was ordered
  as. Amounts are exact to the millionth of a rouble.

  Sandbox rates per hour: Moscow 0.50 a core, 0.25 a GiB of memory, 0.01 a GiB of disk;
  Amsterdam 0.60 a core, 0.30 a GiB of memory, 0.012 a GiB of disk. Windows adds 1.50 an hour.
  The "Старт" tariff is 1 core, 1024 MiB and 20 GiB for at most 300.00 a month; "Базовый" is
  2 cores, 2048 MiB and 40 GiB for at most 600.00 a month.

  Scenario: A custom server is priced per resource at the rates of its location
    When a visitor asks the price of 2 cores, 4096 MiB of memory and 50 GiB of disk with Ubuntu 24.04 in Moscow
    Then the price is 2.50 per hour
    And a month costs at most 1825.00

  Scenario: The same server costs what the rates of another location say
    When a visitor asks the price of 2 cores, 4096 MiB of memory and 50 GiB of disk with Ubuntu 24.04 in Amsterdam
    Then the price is 3.00 per hour
    And a month costs at most 2190.00

  Scenario: Without a tariff a month costs 730 hours, to the micro-unit
    When a visitor asks the price of 1 core, 512 MiB of memory and 10 GiB of disk with Ubuntu 24.04 in Moscow
    Then the price is 0.725 per hour
    And a month costs at most 529.25

  Scenario: The monthly price of a tariff caps the month
    When a visitor asks the price of a "Старт" server with Ubuntu 24.04 in Moscow
    Then the price is 0.95 per hour
    And a month costs at most 300.00

  Scenario: A Windows licence is added to the hourly price
    When a visitor asks the price of 2 cores, 4096 MiB of memory and 50 GiB of disk with Windows Server 2022 in Moscow
    Then the price is 4.00 per hour
    And a month costs at most 2920.00

  Scenario: A short billing period is rounded to the micro-unit, half up
    Given usage is billed every 100 seconds
    When a visitor asks the price of a "Старт" server with Ubuntu 24.04 in Moscow
    Then the first charge is 0.026389

  Scenario: More cores than a server can have are refused
    When a visitor asks the price of 64 cores, 4096 MiB of memory and 50 GiB of disk with Ubuntu 24.04 in Moscow
    Then the request is refused as rule violation
    And the reason given is "cores must be between 1 and 32"

  Scenario: Memory comes in steps of 512 MiB
    When a visitor asks the price of 2 cores, 1000 MiB of memory and 50 GiB of disk with Ubuntu 24.04 in Moscow
    Then the request is refused as rule violation
    And the reason given is "memory must be a multiple of 512"

  Scenario: An order pays exactly the price that was quoted
    Given Alice has an account with a balance of 100.00
    And Alice got a quote for a "Базовый" server with Ubuntu 24.04 in Moscow
    When Alice orders the quoted server as "web-1"
    Then the server "web-1" is running
    And Alice's balance is 98.10 with nothing held

  Scenario: An expired quote no longer binds the price
    Given Alice has an account with a balance of 100.00
    And Alice got a quote for a "Базовый" server with Ubuntu 24.04 in Moscow
    When 16 minutes pass
    And Alice orders the quoted server as "web-1"
    Then the order is refused as quote rejected
    And the reason given is "expired"
    And Alice's balance is 100.00 with nothing held
