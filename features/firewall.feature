Feature: A server's firewall
  A customer decides which inbound traffic reaches her server: a list of rules, each a protocol, a
  port or a range of ports, and where the traffic may come from. A new server lets anyone reach ssh,
  http and https. A new list replaces the old one whole and is carried out as an action; the
  firewall never ends up holding half of a change, and no rule may let in the networks where other
  customers' servers live.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: A new server opens ssh, http and https to anyone
    Then the firewall lets into "web-1" exactly:
      | protocol | ports | from   | description |
      | tcp      | 22    | anyone | ssh         |
      | tcp      | 80    | anyone | http        |
      | tcp      | 443   | anyone | https       |
    And Alice sees the rules of "web-1" as the provider's default, applied

  Scenario: Replacing the rules
    When Alice sets the firewall of "web-1" to:
      | protocol | ports       | from           | description |
      | tcp      | 22          | 203.0.113.0/24 | office ssh  |
      | udp      | 60000-61000 | anyone         | mosh        |
      | icmp     |             | anyone         |             |
    Then the firewall change of "web-1" succeeded
    And the firewall lets into "web-1" exactly:
      | protocol | ports       | from           | description |
      | tcp      | 22          | 203.0.113.0/24 | office ssh  |
      | udp      | 60000-61000 | anyone         | mosh        |
      | icmp     |             | anyone         |             |
    And Alice sees the rules of "web-1" as her own, applied

  Scenario: An empty list closes every port
    When Alice sets the firewall of "web-1" to let nothing in
    Then the firewall change of "web-1" succeeded
    And the firewall lets nothing into "web-1"

  Scenario: The new rules take effect only when the change has been carried out
    Given the background workers are busy
    When Alice lets tcp port 2222 into "web-1" from anyone
    Then Alice sees the rules of "web-1" as her own, not applied yet
    And the firewall still lets ssh, http and https into "web-1"
    When the background workers catch up
    Then the firewall change of "web-1" succeeded
    And the firewall lets into "web-1" exactly:
      | protocol | ports | from   | description |
      | tcp      | 2222  | anyone |             |

  Scenario: No rule may let other customers' networks in
    When Alice lets tcp port 22 into "web-1" from "10.11.0.0/16"
    Then the request is refused as rule violation
    And the reason given is "where other customers' servers live"
    And the firewall still lets ssh, http and https into "web-1"

  Scenario: A port range runs from its low end to its high end
    When Alice lets tcp ports 8100-8000 into "web-1" from anyone
    Then the request is refused as rule violation
    And the reason given is "must not be below fromPort"

  Scenario: A server keeps a bounded number of rules
    When Alice sets the firewall of "web-1" to 51 rules
    Then the request is refused as invalid
    And the reason given is "at most 50 rules"

  Scenario: Another customer's server cannot be touched
    Given Bob has an account with a balance of 100.00
    When Bob lets tcp port 22 into "web-1" from anyone
    Then the request is refused as not found
    And the firewall still lets ssh, http and https into "web-1"

  Scenario: A change while another action runs is refused as locked
    Given the background workers are busy
    And Alice has asked to restart the server "web-1"
    When Alice lets tcp port 2222 into "web-1" from anyone
    Then the request is refused as locked

  Scenario: A change the firewall fails to apply leaves the old rules in force
    Given the firewall fails to apply the changes
    When Alice lets tcp port 2222 into "web-1" from anyone
    Then the firewall change of "web-1" ended in error as external failure
    And the firewall still lets ssh, http and https into "web-1"
    And Alice sees the rules of "web-1" as the provider's default, applied
