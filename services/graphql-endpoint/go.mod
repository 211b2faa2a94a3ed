module openbank/services/graphql-endpoint

go 1.26

require (
	openbank/schemas v0.0.0
	openbank/topology v0.0.0
)

replace (
	openbank/schemas => ../../schemas
	openbank/topology => ../../topology
)
