Feature: Server actions
  A customer starts, stops, restarts, resizes, resets the password of and
  deletes her own servers. An action that makes no sense in the server's state is refused, one that
  arrives while another action runs is refused as locked, and another customer's server does not
  exist as far as she can tell.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: Stopping a running server
    When Alice stops the server "web-1"
    Then the server "web-1" is stopped
    And the guest of "web-1" is stopped on the hypervisor

  Scenario: Starting a stopped server
    Given Alice has stopped the server "web-1"
    When Alice starts the server "web-1"
    Then the server "web-1" is running
    And the guest of "web-1" is running on the hypervisor

  Scenario: Starting a server that already runs is refused
    When Alice starts the server "web-1"
    Then the request is refused as invalid state
    And the server "web-1" is running

  Scenario: Restarting a running server
    When Alice restarts the server "web-1"
    Then the restart action of "web-1" succeeded
    And the server "web-1" is running

  Scenario: An action while another one runs is refused as locked
    Given the background workers are busy
    And Alice has asked to stop the server "web-1"
    When Alice restarts the server "web-1"
    Then the request is refused as locked
    And once the background workers catch up the server "web-1" is stopped

  Scenario: Another customer's server cannot be touched
    Given Bob has an account with a balance of 100.00
    When Bob stops the server "web-1"
    Then the request is refused as not found
    And the server "web-1" is running

  Scenario: Growing a server
    When Alice resizes the server "web-1" to 2 cores, 2048 MiB of memory and 40 GiB of disk
    Then the resize action of "web-1" succeeded
    And the guest of "web-1" runs on a Moscow node with 2 cores, 2048 MiB and 40 GiB
    And the server "web-1" now costs 1.90 per hour

  Scenario: A disk only grows
    When Alice resizes the server "web-1" to 1 core, 1024 MiB of memory and 10 GiB of disk
    Then the request is refused as rule violation
    And the reason given is "disk can only grow"
    And the guest of "web-1" runs on a Moscow node with 1 core, 1024 MiB and 20 GiB

  Scenario: A resize stays within the limits of the catalogue
    When Alice resizes the server "web-1" to 48 cores, 1024 MiB of memory and 20 GiB of disk
    Then the request is refused as rule violation
    And the reason given is "cores must be between 1 and 32"

  Scenario: A new root password is shown once, set on the guest and stored nowhere
    When Alice resets the root password of "web-1"
    Then the password reset action of "web-1" succeeded
    And the new password is the one set on the guest of "web-1"
    And the new password is stored nowhere in the back office

  Scenario: Deleting a server removes it everywhere and bills the last seconds
    When 1 hour, 20 minutes and 5 seconds pass
    And Alice deletes the server "web-1"
    Then the server "web-1" is gone
    And no guest is left on the hypervisor for "web-1"
    And the firewall in Moscow keeps nothing for "web-1" and no private network for Alice
    And the address of "web-1" is free again
    And Alice's balance is 98.732014 with nothing held
    And Alice is told "Your server web-1 was deleted"

  Scenario: A deleted server costs nothing more
    Given 2 hours pass
    And Alice has deleted the server "web-1"
    When 5 hours pass
    And the billing run happens
    Then the billing run charges 0.00
    And Alice's balance is 98.10 with nothing held
