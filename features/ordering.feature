Feature: Ordering a server
  An order is checked and priced, its first charge is held, and the server is built step by step:
  a node with room, an address, the customer's private network on the firewall, the guest itself,
  its DHCP entry and firewall rules, and finally its start. When any step fails, every step done
  before it is undone, the money and the promo code go back, and the customer is told.

  Background:
    Given Alice has an account with a balance of 100.00

  Scenario: A server is built end to end
    When Alice orders a "Старт" server "web-1" in Moscow
    Then the server "web-1" is running
    And the create action of "web-1" succeeded
    And the guest of "web-1" runs on a Moscow node with 1 core, 1024 MiB and 20 GiB
    And "web-1" has an address from the Moscow pool
    And the firewall in Moscow gives "web-1" its address, its rules and Alice's private network
    And the root password shown to Alice is the one set on the guest of "web-1"
    And Alice's balance is 99.05 with nothing held
    And Alice is told "Your server web-1 is ready"

  Scenario: A Windows server is built as a full virtual machine
    When Alice orders a server "win-1" with 2 cores, 4096 MiB of memory and 50 GiB of disk with Windows Server 2022 in Moscow
    Then the server "win-1" is running
    And the guest of "win-1" is a full virtual machine
    And Alice's balance is 96.00 with nothing held

  Scenario: Two servers of one customer share her private network but not an address
    Given Alice has a running "Старт" server "web-1" in Moscow
    When Alice orders a "Старт" server "web-2" in Moscow
    Then the server "web-2" is running
    And "web-1" and "web-2" are on the same private network
    And "web-1" and "web-2" have different addresses

  Scenario: Orders built at the same time go to different nodes
    Given Alice's "Старт" server "web-1" in Moscow has its node and its guest is still being made
    When Alice orders a "Старт" server "web-2" in Moscow
    Then the server "web-2" is running
    And "web-2" is on another Moscow node than "web-1"

  Scenario: The root password is shown once and never kept
    When Alice orders a "Старт" server "web-1" in Moscow
    Then the root password shown to Alice is the one set on the guest of "web-1"
    And the root password shown to Alice is stored nowhere in the back office

  Scenario Outline: A failed step undoes every step before it and gives everything back
    Given a promo code "SPRING10" for 10% off the first charge
    And <fault>
    When Alice orders a "Старт" server "web-1" in Moscow with promo code "SPRING10"
    Then the server "web-1" has failed
    And the create action of "web-1" ended in error as <error>
    And no guest is left on the hypervisor for "web-1"
    And the firewall in Moscow keeps nothing for "web-1" and no private network for Alice
    And the address of "web-1" is free again
    And Alice's balance is 100.00 with nothing held
    And the promo code "SPRING10" has been used 0 times
    And Alice is told "Your server web-1 could not be created"

    Examples:
      | fault                                          | error              |
      | every node in Moscow is full                   | capacity exhausted |
      | every node in Moscow is offline                | capacity exhausted |
      | no address is left in Moscow                   | capacity exhausted |
      | the firewall refuses the private network       | external failure   |
      | the hypervisor fails to create the guest       | external failure   |
      | the firewall refuses the DHCP mapping          | external failure   |
      | the firewall refuses the server's rules        | external failure   |
      | the firewall fails to apply the changes        | external failure   |
      | the hypervisor fails to start the guest        | external failure   |

  Scenario: A failed second server leaves the first one's network alone
    Given Alice has a running "Старт" server "web-1" in Moscow
    And the hypervisor fails to start the guest
    When Alice orders a "Старт" server "web-2" in Moscow
    Then the server "web-2" has failed
    And no guest is left on the hypervisor for "web-2"
    And the address of "web-2" is free again
    And the firewall in Moscow gives "web-1" its address, its rules and Alice's private network
    And the guest of "web-1" is running on the hypervisor

  Scenario: A failed order leaves the promo code usable again
    Given a promo code "SPRING10" for 10% off the first charge
    And the hypervisor fails to start the guest
    And Alice has ordered a "Старт" server "web-1" in Moscow with promo code "SPRING10"
    When Alice orders a "Старт" server "web-2" in Moscow with promo code "SPRING10"
    Then the server "web-2" is running
    And Alice's balance is 99.145 with nothing held

  Scenario: A failed server can be deleted and is not billed
    Given the hypervisor fails to start the guest
    And Alice has ordered a "Старт" server "web-1" in Moscow
    When 3 hours pass
    And the billing run happens
    And Alice deletes the server "web-1"
    Then the server "web-1" is gone
    And Alice's balance is 100.00 with nothing held
