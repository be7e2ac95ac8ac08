Feature: The operator's catalogue
  The operator publishes what is sold, where and at what rate as one document (the sandbox's own is
  deploy/catalogue.example.toml). Each publication is a new version, and every quote names the
  version it was priced with. A document with mistakes is refused with all of them at once, each
  naming its place, and nothing changes. The nodes are asked for every template the document names.

  Scenario: A published catalogue prices the next quote
    Given the operator has published the example catalogue with a core in Moscow at 0.70 an hour
    When a visitor asks the price of 2 cores, 4096 MiB of memory and 50 GiB of disk with Ubuntu 24.04 in Moscow
    Then the price is 2.90 per hour
    And the quote names catalogue version 2

  Scenario: A catalogue with mistakes is refused with every one of them
    When the operator publishes the example catalogue with a core in Moscow at 0.7 as a number and Windows Server 2022 from template 9999
    Then the catalogue is refused with these problems:
      | problem                                                                                                      |
      | [[locations]] #1 (ru-msk-1) rates.per_core: must be a decimal string such as "100.00" (money is never a float) |
      | [[images]] id 5 (Windows Server 2022): template 9999 is missing on pve-spb-1, pve-spb-2 (ru-spb-1)           |
      | [[images]] id 5 (Windows Server 2022): template 9999 is missing on pve-ams-1, pve-ams-2 (nl-ams-1)           |
    And the current catalogue is still version 1

  Scenario: No password reset on a virtual machine whose image has no guest agent
    Given the operator has published the example catalogue saying Ubuntu 22.04 (VM) has no guest agent
    And Alice has an account with a balance of 100.00
    And Alice has ordered a server "vm-1" with 1 core, 1024 MiB of memory and 20 GiB of disk with Ubuntu 22.04 (VM) in Moscow
    When Alice resets the root password of "vm-1"
    Then the request is refused as conflict
    And the reason given is "no QEMU guest agent"
