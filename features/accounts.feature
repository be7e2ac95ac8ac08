Feature: Customer accounts
  People open an account with their e-mail address and a password, log in to get a session, and
  create personal tokens for their scripts. A failed login never tells whether the address exists.

  Scenario: A new customer registers, is welcomed and can log in
    When someone registers as "alice@example.com" with the password "correct horse battery"
    Then the registration is accepted
    And "alice@example.com" is told "Welcome to Oxnack"
    And "alice@example.com" can log in with the password "correct horse battery"

  Scenario: An e-mail address can hold only one account
    Given Alice has an account
    When someone registers as "alice@example.com" with the password "another long password"
    Then the registration is refused as already exists

  Scenario: The domain of an address is not case sensitive
    Given Alice has an account
    When someone registers as "alice@EXAMPLE.com" with the password "another long password"
    Then the registration is refused as already exists

  Scenario: A short password is refused
    When someone registers as "carol@example.com" with the password "short"
    Then the registration is refused as invalid
    And the reason given is "password must be at least 10 characters"

  Scenario: A wrong password and an unknown address are refused alike
    Given Alice has an account
    When someone logs in as "alice@example.com" with the password "not her password"
    And someone logs in as "nobody@example.com" with the password "not her password"
    Then both logins are refused with the same answer

  Scenario: Logging out ends the session
    Given Alice has an account
    And Alice is logged in
    When Alice logs out
    Then Alice's session no longer works

  Scenario: A session expires after twelve hours
    Given Alice has an account
    And Alice is logged in
    When 12 hours pass
    Then Alice's session no longer works

  Scenario: A revoked personal token stops working
    Given Alice has an account
    And Alice has a personal token named "deploy script"
    And the token "deploy script" works
    When Alice revokes the token "deploy script"
    Then the token "deploy script" no longer works

  Scenario: Nobody can revoke another customer's token
    Given Alice has an account
    And Bob has an account
    And Alice has a personal token named "deploy script"
    When Bob revokes Alice's token "deploy script"
    Then the request is refused as not found
    And the token "deploy script" works
