Feature: SSH keys
  A customer keeps the public keys of their machines with us, once each, known by the fingerprint
  ssh-keygen prints, and names them when ordering a server so that its root account takes them.
  Weak or broken keys are refused with the reason.

  Background:
    Given Alice has an account with a balance of 100.00

  Scenario: A key is kept with its fingerprint
    When Alice adds her ed25519 key "laptop"
    Then Alice has 1 SSH key, "laptop", with an SHA256 fingerprint

  Scenario: The same key is kept once
    Given Alice has added her ed25519 key "laptop"
    When Alice adds the same key again as "desk"
    Then that request is refused as already exists
    And Alice has 1 SSH key, "laptop", with an SHA256 fingerprint

  Scenario: A weak RSA key is refused
    When Alice adds a 1024-bit RSA key "old"
    Then that request is refused as rule violation
    And the reason given is "at least 2048 are needed"

  Scenario: Someone else's key cannot be removed
    Given Bob has an account with a balance of 10.00
    And Alice has added her ed25519 key "laptop"
    When Bob removes Alice's key "laptop"
    Then that request is refused as not found
    And Alice has 1 SSH key, "laptop", with an SHA256 fingerprint

  Scenario: A server ordered with a key lets root in by it, and shows no password
    Given Alice has added her ed25519 key "laptop"
    When Alice orders a "Старт" server "web-1" in Moscow with her key "laptop"
    Then the server "web-1" is running
    And root on the guest of "web-1" has Alice's key "laptop"
    And no root password was shown for "web-1"
