Feature: Scoped personal access tokens
  A token for a script is given only what the script needs: reading servers for a monitoring
  script, say. A write scope includes its read scope. Login sessions, and tokens made before
  scopes existed, keep full access.

  Scenario: A read-only token for a monitoring script
    Given Alice has an account
    When Alice creates a token "monitoring" with the scopes "servers:read"
    Then the token may use "servers:read"
    And the token is refused "servers:write", naming it
    And the token is refused "billing:read", naming it

  Scenario: A write scope includes reading
    Given Alice has an account
    When Alice creates a token "deploy" with the scopes "servers:write, billing:read"
    Then the token may use "servers:read"
    And the token may use "servers:write"
    And the token may use "billing:read"
    And the token is refused "billing:write", naming it

  Scenario: A token without scopes has full access, as every token had before
    Given Alice has an account
    When Alice creates a token "old script" without scopes
    Then the token may use "admin"
    And the token may use "tickets"

  Scenario: A token cannot make a token that can do more than itself
    Given Alice has an account
    And Alice has a token "manager" with the scopes "account, servers:read"
    When the token "manager" creates a token with the scopes "billing:read"
    Then the request is refused as insufficient scope
    When the token "manager" creates a token with the scopes "servers:read"
    Then the new token may use "servers:read"

  Scenario: Only administrators' tokens carry the admin scope
    Given Alice has an account
    When Alice creates a token "root" with the scopes "admin"
    Then the request is refused as rule violation
