module github.com/ikev2ref/ikev2ref

go 1.26.0

require (
	github.com/google/gopacket v1.1.19
	github.com/leanovate/gopter v0.2.11
	golang.org/x/crypto v0.59.0
)

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
