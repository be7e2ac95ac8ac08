Feature: Support tickets
  A customer asks support a question in a ticket, optionally about one of their own servers, and
  the conversation goes on in it. Staff see every ticket, answer, and set its status; each answer
  is e-mailed to the customer. A ticket is the customer's alone: to anyone else it does not exist.
  What a customer writes is limited per hour, so that no one floods the support queue.

  Background:
    Given Alice has an account with a balance of 100.00
    And Alice has a running "Старт" server "web-1" in Moscow
    And Bob has an account with a balance of 100.00

  Scenario: Staff answer a ticket and the customer is e-mailed the answer once
    When Alice opens a ticket "Slow disk" about the server "web-1" saying "Writes take seconds."
    Then the ticket "Slow disk" is open
    When support answers the ticket "Slow disk" with "We moved it to a faster node."
    Then the ticket "Slow disk" is answered
    And Alice has received 1 notice about "Re: Slow disk"
    And the ticket "Slow disk" reads "Writes take seconds.", "We moved it to a faster node."

  Scenario: Another customer cannot see, answer or close a ticket
    Given Alice has opened a ticket "Billing question"
    When Bob reads the ticket "Billing question"
    Then the request is refused as not found
    When Bob writes "me too" in the ticket "Billing question"
    Then the request is refused as not found
    And Bob has no tickets

  Scenario: A ticket names only the customer's own server
    When Bob opens a ticket "Help" about the server "web-1" saying "Is it down?"
    Then the request is refused as not found
    And Bob has no tickets

  Scenario: The customer's reply opens an answered ticket again, and a closed one takes none
    Given Alice has opened a ticket "Backups"
    And support has answered the ticket "Backups" with "Snapshots are in the panel."
    When Alice writes "Thanks, found them." in the ticket "Backups"
    Then the ticket "Backups" is open
    When Alice closes the ticket "Backups"
    And Alice writes "One more thing" in the ticket "Backups"
    Then the request is refused as invalid state
    And the ticket "Backups" is closed

  Scenario: Writing is limited per customer
    Given Alice has written 30 times to support within the hour
    When Alice opens a ticket "Another" saying "Hello?"
    Then the request is refused as rate limited
    When 1 hour passes
    And Alice opens a ticket "Another" saying "Hello?"
    Then the ticket "Another" is open
