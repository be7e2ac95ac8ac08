Feature: Dunning
  When the balance runs low the customer is reminded; at zero she can order no new servers; a day
  later her servers are stopped (their data kept); fourteen days after that they are deleted. Each
  step sends one notice. Paying restores the account and starts again the servers that dunning
  stopped, but not those she had stopped herself. A "Старт" server in Moscow costs 0.95 an hour.

  Scenario: A reminder when the balance lasts less than three days
    Given Alice has an account with a balance of 50.00
    And Alice has a running "Старт" server "web-1" in Moscow
    When the dunning run happens
    Then Alice's account is low on balance
    And Alice is told "Your balance is running low"

  Scenario: The reminder is sent once, not at every run
    Given Alice has an account with a balance of 50.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And the dunning run happens
    When 1 hour passes
    And the dunning run happens
    Then Alice has received 1 notice about "Your balance is running low"

  Scenario: No reminder while the balance lasts long enough
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow
    When the dunning run happens
    Then Alice's account is active
    And Alice has received 0 notices about "Your balance is running low"

  Scenario: At zero the account is restricted and cannot order
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    When Alice orders a "Старт" server "web-2" in Moscow
    Then Alice's account is restricted
    And the order is refused as account restricted
    And Alice is told "Your balance is used up: new servers are on hold"
    And the server "web-1" is running

  Scenario: Still unpaid a day later, the servers are stopped and kept
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    When 24 hours pass
    And the billing and dunning runs happen
    Then Alice's account is suspended
    And the server "web-1" is suspended
    And the guest of "web-1" is stopped on the hypervisor
    And Alice is told "Your servers were stopped for an unpaid balance"

  Scenario: Still unpaid fourteen days after the suspension, the servers are deleted
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    And 24 hours pass
    And the billing and dunning runs happen
    When 14 days pass
    And the billing and dunning runs happen
    Then Alice's account is terminated
    And the server "web-1" is gone
    And no guest is left on the hypervisor for "web-1"
    And the address of "web-1" is free again
    And Alice is told "Your servers were deleted for an unpaid balance"

  Scenario: Paying restores the account and restarts only what dunning stopped
    Given Alice has an account with a balance of 2.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And Alice has a running "Старт" server "web-2" in Moscow
    And Alice has stopped the server "web-2"
    And 2 hours pass
    And the billing and dunning runs happen
    And 24 hours pass
    And the billing and dunning runs happen
    And Alice's account is suspended
    When Alice pays 100.00
    Then Alice's account is active
    And the server "web-1" is running
    And the guest of "web-1" is running on the hypervisor
    And the server "web-2" is stopped
    And the guest of "web-2" is stopped on the hypervisor
    And Alice is told "Thank you: your account is active again"

  Scenario: Paying a restricted account lets it order again
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    And Alice's account is restricted
    When Alice pays 200.00
    And Alice orders a "Старт" server "web-2" in Moscow
    Then Alice's account is active
    And the server "web-2" is running

  Scenario: An account with nothing to pay for is not suspended
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    And Alice has deleted the server "web-1"
    When 30 days pass
    And the billing and dunning runs happen
    Then Alice's account is restricted

  Scenario: Paying while the servers are still being stopped starts them again all the same
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    And 24 hours pass
    And the background workers are busy
    And the billing and dunning runs happen
    When Alice pays 100.00
    And the background workers catch up
    And the dunning run happens
    Then Alice's account is active
    And the server "web-1" is running
    And the guest of "web-1" is running on the hypervisor

  Scenario: A server busy with another action when the account is suspended is stopped once it is free
    Given Alice has an account with a balance of 1.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And 2 hours pass
    And the billing and dunning runs happen
    And 24 hours pass
    And the background workers are busy
    And Alice has asked to restart the server "web-1"
    When the billing and dunning runs happen
    And the background workers catch up
    And the dunning run happens
    Then Alice's account is suspended
    And the server "web-1" is suspended
    And the guest of "web-1" is stopped on the hypervisor
