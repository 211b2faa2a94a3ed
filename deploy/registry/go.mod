module openbank/deploy/registry

go 1.26

require golang.org/x/crypto v0.47.0
