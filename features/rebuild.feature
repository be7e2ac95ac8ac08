Feature: Rebuilding a server
  A customer wipes her server and installs it again from another image of the same kind. The
  server keeps its id and address, gets a new root password shown once, loses its snapshots (the
  answer names them) and is billed throughout. A container cannot become a virtual machine.

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
