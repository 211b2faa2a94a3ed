module openbank/schemas

go 1.26
