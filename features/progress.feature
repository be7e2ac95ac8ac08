Feature: Progress that moves
  Every step of building a server moves its action forward, and each move is told live to the
  customer's connections as action-progress, ending at 100 when the server is handed over.

  Background:
    Given Alice has an account with a balance of 100.00

  Scenario: An order's progress moves step by step to 100
    When Alice orders a "Старт" server "web-1" in Moscow
    Then Alice was told the progress of the order of "web-1" as 10, 15, 20, 40, 60, 80, 95 and 100
    And the last progress told was a success

  Scenario: A stop is told when it finishes
    Given Alice has a running "Старт" server "web-1" in Moscow
    When Alice stops the server "web-1"
    Then the last progress told was a success at 100

  Scenario: A long clone moves the order while the guest is copied
    Given the hypervisor's tasks take 60 seconds
    When Alice orders a "Старт" server "web-1" in Moscow
    Then Alice was told the progress of the order of "web-1" rising between 20 and 40 while its guest was made
    And the last progress told was a success

  Scenario: A resize moves while the disk grows
    Given the hypervisor's tasks take 60 seconds
    And Alice has a running "Старт" server "web-1" in Moscow
    When Alice resizes the server "web-1" to 2 cores, 2048 MiB of memory and 40 GiB of disk
    Then the resize of "web-1" was told rising before its success at 100
