module serial-ledger.test/tilecheck

go 1.19

require golang.org/x/mod v0.7.0

// Debian's golang-golang-x-mod-dev: the tests build offline (GOPROXY=off).
replace golang.org/x/mod => /usr/share/gocode/src/golang.org/x/mod
