"""The test suites; a package so that their folders never shadow the product's packages
(`tests.entrypoints`, not `entrypoints`)."""
