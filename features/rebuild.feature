Feature: Rebuilding a server
  A customer wipes her server and installs it again from another image of the same kind. The
  server keeps its id and address, gets a new root password shown once, loses its snapshots (the
  answer names them) and is billed throughout. An image whose licence costs something else
  (Windows adds 1.50 an hour) changes the price from the next month: until the month ends the
  server costs what it did. A container cannot become a virtual machine.
  A virtual machine in Moscow with 2 cores, 4096 MiB and 50 GiB costs 2.50 an hour, 4 cores 3.50.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: A rebuild installs the new image on the same address
    Given Alice has taken a snapshot "before" of "web-1"
    When Alice rebuilds the server "web-1" from "Debian 12"
    Then the server "web-1" is running
    And the server "web-1" runs "Debian 12" at the address it had
    And the rebuild's new password is the one set on the guest of "web-1"
    And the rebuild named the snapshot "before" as removed
    And "web-1" has 0 snapshots

  Scenario: A container cannot be rebuilt as a virtual machine
    When Alice rebuilds the server "web-1" from "Ubuntu 22.04 (VM)"
    Then that request is refused as conflict
    And the server "web-1" runs "Ubuntu 24.04" at the address it had

  Scenario: A Windows licence changes the price from the next month
    Given it is 2026-01-31 20:00
    And Alice has a running server "vm-1" with 2 cores, 4096 MiB of memory and 50 GiB of disk with Ubuntu 22.04 (VM) in Moscow
    When Alice rebuilds the server "vm-1" from "Windows Server 2022"
    Then the server "vm-1" costs 2.50 an hour, and 4.00 an hour from 2026-02-01
    When it is 2026-02-01 01:00
    And the billing run happens
    Then Alice has paid 10.00 for "vm-1" in January 2026
    And Alice has paid 4.00 for "vm-1" in February 2026
    And the server "vm-1" costs 4.00 an hour with no change pending

  Scenario: Rebuilding back within the month leaves the price as it was
    Given it is 2026-01-31 20:00
    And Alice has a running server "vm-1" with 2 cores, 4096 MiB of memory and 50 GiB of disk with Windows Server 2022 in Moscow
    When Alice rebuilds the server "vm-1" from "Ubuntu 22.04 (VM)"
    Then the server "vm-1" costs 4.00 an hour, and 2.50 an hour from 2026-02-01
    When Alice rebuilds the server "vm-1" from "Windows Server 2022"
    Then the server "vm-1" costs 4.00 an hour with no change pending
    When it is 2026-02-01 01:00
    And the billing run happens
    Then Alice has paid 4.00 for "vm-1" in February 2026

  Scenario: A resize within the month leaves the licence change for the next month
    Given it is 2026-01-31 20:00
    And Alice has a running server "vm-1" with 2 cores, 4096 MiB of memory and 50 GiB of disk with Ubuntu 22.04 (VM) in Moscow
    When Alice rebuilds the server "vm-1" from "Windows Server 2022"
    And 2 hours pass
    And Alice resizes the server "vm-1" to 4 cores, 4096 MiB of memory and 50 GiB of disk
    Then the server "vm-1" costs 3.50 an hour, and 5.00 an hour from 2026-02-01
    When it is 2026-02-01 01:00
    And the billing run happens
    Then Alice has paid 5.00 for "vm-1" in February 2026
