Feature: Resource alerts
  A running server's CPU, memory and disk are watched. Going above 90% raises one alert and one
  notice; the alert clears only once the figure drops below 80%, so a figure hovering around the
  threshold does not flood the customer. Alerts are e-mails: at most one per server, metric and
  hour, while every alert is still published live.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow

  Scenario: A busy CPU raises an alert
    Given the CPU of "web-1" is at 95%
    When the monitoring pass runs
    Then Alice is told "Server web-1: cpu at 95%"
    And an alert for the cpu of "web-1" is published live

  Scenario: An alert is raised once per incident
    Given the CPU of "web-1" is at 95%
    When the monitoring pass runs 3 times
    Then Alice has received 1 notice about "Server web-1: cpu at"

  Scenario: An alert clears below the lower mark
    Given the CPU of "web-1" is at 95%
    And the monitoring pass runs
    And 1 hour passes
    When the CPU of "web-1" drops to 70%
    And the monitoring pass runs
    Then Alice is told "Server web-1: cpu back to normal"

  Scenario: An alert that clears within the hour is one e-mail
    Given the CPU of "web-1" is at 95%
    And the monitoring pass runs
    When the CPU of "web-1" drops to 70%
    And the monitoring pass runs
    Then Alice has received 1 notice about "Server web-1: cpu at"
    And Alice has received 0 notices about "Server web-1: cpu back to normal"

  Scenario: A figure hovering around the threshold does not flood the customer
    When the CPU of "web-1" reads 95%, 85%, 92%, 86% and 91% on successive passes
    Then Alice has received 1 notice about "Server web-1: cpu at"
    And Alice has received 0 notices about "Server web-1: cpu back to normal"

  Scenario: Whatever happens within the hour, the next e-mail waits for it
    When the CPU of "web-1" reads 95%, 70% and 96% on successive passes
    Then Alice has received 1 notice about "Server web-1: cpu at"
    When 1 hour passes
    And the CPU of "web-1" reads 70% and 97% on successive passes
    Then Alice is told "Server web-1: cpu back to normal"
    And Alice has received 1 notice about "Server web-1: cpu at"

  Scenario: A nearly full memory raises an alert of its own
    Given the memory of "web-1" is 95% used
    When the monitoring pass runs
    Then Alice is told "Server web-1: memory at 95%"
    And Alice has received 0 notices about "Server web-1: cpu at"

  Scenario: A nearly full disk raises an alert of its own
    Given the disk of "web-1" is 97% used
    When the monitoring pass runs
    Then Alice is told "Server web-1: disk at 97%"

  Scenario: A stopped server raises no alerts
    Given the disk of "web-1" is 97% used
    And Alice has stopped the server "web-1"
    When the monitoring pass runs
    Then Alice has received 0 notices about "Server web-1: disk at"
