Feature: Webhooks
  A customer's own HTTPS endpoint is told what happens on the account: a server created or
  deleted, an action finished, a balance running low. Each event is one delivery, signed with the
  secret shown when the webhook was registered, and tried again with backoff for a day while the
  endpoint does not answer 2xx. Only public HTTPS addresses may be called.

  Background:
    Given Alice has an account with a balance of 1000.00

  Scenario: A new server is announced, signed
    Given Alice has a webhook for "server.created"
    When Alice orders a "Старт" server "web-1" in Moscow
    And the webhooks are delivered
    Then Alice's endpoint got 1 "server.created" delivery about "web-1"
    And every delivery Alice's endpoint got is signed with her webhook's secret

  Scenario: A webhook hears only the events it asked for
    Given Alice has a webhook for "server.deleted"
    When Alice orders a "Старт" server "web-1" in Moscow
    And the webhooks are delivered
    Then Alice's endpoint got nothing

  Scenario: An endpoint that is down is tried again later
    Given Alice has a webhook for "action.finished"
    And Alice has a running "Старт" server "web-1" in Moscow
    And Alice's endpoint answers 503
    When Alice stops the server "web-1"
    And the webhooks are delivered
    Then the last delivery to Alice's endpoint is waiting for another try
    When 1 minute passes
    And Alice's endpoint answers 200
    And the webhooks are delivered
    Then the last delivery to Alice's endpoint was delivered after 2 tries

  Scenario: A webhook may not point into a private network
    When Alice registers a webhook at "https://192.168.0.10/hook"
    Then that request is refused as rule violation
    And the reason given is "private"

  Scenario: Someone else's webhook cannot be read
    Given Bob has an account with a balance of 10.00
    And Alice has a webhook for "server.created"
    When Bob reads Alice's webhook
    Then that request is refused as not found
