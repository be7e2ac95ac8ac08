Feature: Two-factor login
  A customer can ask for a code from an authenticator app on every login, on top of the password.
  Codes change every 30 seconds; one is accepted from the step before or after the current one
  (phones' clocks drift), and each only once. Ten recovery codes stand in for a lost phone, each
  once. Wrong codes are throttled like wrong passwords.

  Scenario: Turning two-factor login on gives recovery codes, and logins then need a code
    Given Alice has an account
    When Alice sets up two-factor login and confirms it with her app's current code
    Then Alice is given 10 recovery codes
    And Alice is told "Two-factor login is on for your Oxnack account"
    And Alice's login with her password alone is refused as totp required
    And Alice can log in with her password and her app's current code

  Scenario: Setting up alone changes nothing
    Given Alice has an account
    When Alice sets up two-factor login but does not confirm it
    Then Alice can log in with her password alone

  Scenario: A code is accepted once
    Given Alice has two-factor login
    When Alice logs in with her app's current code
    Then a second login with the same code is refused as totp invalid

  Scenario Outline: A code is taken from one step either side of now, and no further
    Given Alice has two-factor login
    When Alice logs in with the code her app showed <offset> seconds from now
    Then the login is <answer>

    Examples:
      | offset | answer                  |
      | -30    | accepted                |
      | -31    | refused as totp invalid |
      | 0      | accepted                |
      | 59     | accepted                |
      | 60     | refused as totp invalid |

  Scenario: A recovery code stands in for the app, once
    Given Alice has two-factor login
    When Alice logs in with her first recovery code
    Then the login is accepted
    And a second login with the same code is refused as totp invalid
    And Alice has 9 recovery codes left
    And Alice is told "A recovery code was used to log in to your Oxnack account"

  Scenario: Turning two-factor login off needs a current code
    Given Alice has two-factor login
    When Alice turns two-factor login off with the code "000000"
    Then the request is refused as rule violation
    When Alice turns two-factor login off with her app's current code
    Then Alice can log in with her password alone
    And Alice is told "Two-factor login is off for your Oxnack account"

  Scenario: Ten wrong codes stop the account taking codes for a while
    Given Alice has two-factor login
    When someone who knows Alice's password tries 10 wrong codes
    Then Alice's login with her app's current code is refused as rate limited
    And 15 minutes later Alice can log in with her password and her app's current code

  Scenario: The secret rests sealed
    Given Alice has two-factor login
    Then the stored secret is sealed and opens to the one her app holds

  Scenario: New recovery codes retire the old ones
    Given Alice has two-factor login
    When Alice asks for new recovery codes with her app's current code
    Then Alice is given 10 recovery codes
    And Alice's old first recovery code is refused as totp invalid
    And Alice can log in with her new first recovery code
