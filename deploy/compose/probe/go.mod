module openbank/deploy/compose/probe

go 1.26
