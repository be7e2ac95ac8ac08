Feature: Ready guests and keeping the records true
  The provider keeps a few stopped guests built ahead of time for each location and operating
  system, so that a new server is ready sooner: an order takes one of them and has it made its own
  (name, network, password, size). The scheduler builds new ones to keep the number up. It also
  compares the servers on record with the guests that really exist and repairs what has drifted.

  Background:
    Given the provider keeps 2 ready "Ubuntu 24.04" guests in Moscow
    And the scheduler has filled the warm pool
    And Alice has an account with a balance of 100.00

  Scenario: An order takes a ready guest, and the scheduler builds a new one
    When Alice orders a "Старт" server "web-1" in Moscow
    Then the server "web-1" is running
    And the server "web-1" runs on a guest taken from the warm pool
    And the warm pool of Moscow holds 1 ready guest
    When the scheduler refills the warm pool
    Then the warm pool of Moscow holds 2 ready guests

  Scenario: An order that fails does not leave the taken guest behind
    Given the hypervisor fails to start the guest
    When Alice orders a "Старт" server "web-1" in Moscow
    Then the server "web-1" has failed
    And the guest taken from the warm pool for "web-1" is gone from the hypervisor
    And the warm pool of Moscow holds 1 ready guest
    And Alice has received 0 notices about "Your server web-1 is ready"

  Scenario: A server whose guest disappeared is removed and its owner is told
    Given Alice has a running "Старт" server "web-1" in Moscow
    And the guest of "web-1" has disappeared from the hypervisor
    When the scheduler compares the servers with the hypervisor 20 minutes later
    Then the server "web-1" is gone
    And Alice is told "Your server web-1 was lost on the hypervisor and has been removed"
