module github.com/straitproxy/strait

go 1.26
