Feature: A resize is covered like an order
  Growing a server is buying more. Inside the first hour, paid when the server was ordered, the
  bigger size costs the difference for the rest of that hour: it is held from the balance when the
  resize is asked for and taken when the guest has grown. A balance that does not cover it refuses
  the resize, so a customer's own command never takes the balance below zero. Usage may, and the
  account's standing follows at the billing tick that charged it.

  Scenario: A resize the balance does not cover is refused
    Given Alice has an account with a balance of 1.05
    And Alice has a running "Старт" server "web-1" in Moscow
    And 30 minutes pass
    When Alice resizes the server "web-1" to 32 cores, 131072 MiB of memory and 2000 GiB of disk
    Then the request is refused as insufficient funds
    And Alice's balance is 0.10 with nothing held
    And the guest of "web-1" runs on a Moscow node with 1 core, 1024 MiB and 20 GiB

  Scenario: A covered resize holds the difference, then takes it when the guest has grown
    Given Alice has an account with a balance of 1.45
    And Alice has a running "Старт" server "web-1" in Moscow
    And 30 minutes pass
    And the background workers are busy
    When Alice resizes the server "web-1" to 2 cores, 1024 MiB of memory and 20 GiB of disk
    Then Alice's balance is 0.25 with 0.25 held
    When the background workers catch up
    Then the resize action of "web-1" succeeded
    And Alice's balance is 0.25 with nothing held
    And the server "web-1" now costs 1.45 per hour

  Scenario: Usage that overdraws the balance restricts the account at the billing tick
    Given Alice has an account with a balance of 1.05
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    When the billing tick runs
    Then Alice's account is restricted
    When Alice resizes the server "web-1" to 2 cores, 1024 MiB of memory and 20 GiB of disk
    Then the request is refused as account restricted
