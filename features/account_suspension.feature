Feature: An administrator suspends an account
  Suspending an account turns its logins off and stops its servers, each by an action: a suspended
  server keeps its data and is not billed while it is stopped. Reinstating the account turns the
  logins back on and starts again what the suspension stopped, billed from then on. An
  administrator cannot suspend their own account, so no one can lock every administrator out.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And Alice has a running "Старт" server "web-2" in Moscow
    And Alice has stopped the server "web-2"
    And 2 hours pass

  Scenario: A suspended account's servers are stopped and cost nothing
    When an administrator suspends Alice's account
    Then the suspend action of "web-1" succeeded
    And the server "web-1" is suspended
    And the guest of "web-1" is stopped on the hypervisor
    And the server "web-2" is suspended
    And Alice cannot log in
    When 10 hours pass
    And the billing tick runs
    Then the billing run charges 0.00

  Scenario: Reinstating starts again only what the suspension stopped
    Given an administrator has suspended Alice's account
    And 10 hours pass
    When an administrator reinstates Alice's account
    Then the unsuspend action of "web-1" succeeded
    And the server "web-1" is running
    And the guest of "web-1" is running on the hypervisor
    And the server "web-2" is stopped
    And the guest of "web-2" is stopped on the hypervisor
    And Alice can log in
    When 1 hour passes
    And the billing tick runs
    Then the billing run charges 1.90

  Scenario: An administrator cannot suspend their own account
    When the administrator suspends their own account
    Then the request is refused as conflict
    And the administrator's account is still enabled
