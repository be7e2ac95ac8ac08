Feature: Snapshots
  A customer keeps named snapshots of a server, rolls the server back to one, and deletes those she
  no longer needs. A server keeps at most 10 snapshots.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: Taking a snapshot
    When Alice takes a snapshot "before-upgrade" of "web-1" described as "pre 2.0"
    Then the snapshot action of "web-1" succeeded
    And the snapshots of "web-1" are "before-upgrade"

  Scenario: Rolling back to a snapshot
    Given Alice has taken a snapshot "before-upgrade" of "web-1"
    When Alice rolls "web-1" back to the snapshot "before-upgrade"
    Then the rollback action of "web-1" succeeded
    And the server "web-1" is running
    And the snapshots of "web-1" are "before-upgrade"

  Scenario: Deleting a snapshot
    Given Alice has taken a snapshot "before-upgrade" of "web-1"
    And Alice has taken a snapshot "after-upgrade" of "web-1"
    When Alice deletes the snapshot "before-upgrade" of "web-1"
    Then the snapshot deletion action of "web-1" succeeded
    And the snapshots of "web-1" are "after-upgrade"

  Scenario: Two snapshots cannot share a name
    Given Alice has taken a snapshot "before-upgrade" of "web-1"
    When Alice takes a snapshot "before-upgrade" of "web-1" described as "again"
    Then the request is refused as already exists
    And the snapshots of "web-1" are "before-upgrade"

  Scenario: Rolling back to a snapshot that does not exist
    When Alice rolls "web-1" back to the snapshot "never-taken"
    Then the request is refused as not found

  Scenario: Deleting a snapshot that does not exist
    When Alice deletes the snapshot "never-taken" of "web-1"
    Then the request is refused as not found

  Scenario: A server keeps at most 10 snapshots
    Given Alice has taken 10 snapshots of "web-1"
    When Alice takes a snapshot "one-too-many" of "web-1" described as "eleventh"
    Then the request is refused as invalid
    And the reason given is "at most 10 snapshots"
    And "web-1" has 10 snapshots

  Scenario: Another customer cannot see or take snapshots of a server
    Given Bob has an account with a balance of 100.00
    When Bob takes a snapshot "mine-now" of "web-1" described as "sneaky"
    Then the request is refused as not found
    And "web-1" has 0 snapshots
