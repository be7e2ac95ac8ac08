Feature: A customer's console
  A customer opens the console of a running server through a one-time link of the back office:
  the link is good for one session, started within a minute, by the customer who asked for it.
  Customers never see the hypervisor or its credentials.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: The console of one's own running server
    When Alice opens the console of "web-1"
    Then she gets a one-time console link to "web-1"
    And the link opens a console session of the guest of "web-1"
    And the audit log shows the console of "web-1" opened

  Scenario: A link opens one session only
    Given Alice has opened a console session of "web-1"
    When the same link is opened again
    Then the request is refused as link not found

  Scenario: A link not used within a minute has lapsed
    Given Alice has a console link to "web-1"
    When 61 seconds pass
    And the link is opened
    Then the request is refused as link not found

  Scenario: The console of a stopped server is refused
    Given Alice has stopped the server "web-1"
    When Alice opens the console of "web-1"
    Then the request is refused as invalid state

  Scenario: A session ends when its server stops
    Given Alice has opened a console session of "web-1"
    When Alice stops the server "web-1"
    Then the console session of "web-1" may not go on

  Scenario: The console of another customer's server does not exist
    Given Bob has an account with a balance of 100.00
    When Bob opens the console of "web-1"
    Then the request is refused as not found

  Scenario: Guessing links is cut short
    When 20 made-up console links are opened from one address
    And the link is opened
    Then the request is refused as rate limited
