// Package onnxpb is the ONNX schema (onnx.proto, proto2, from the ONNX
// project under the Apache-2.0 licence, at commit f754691 of 2026-08-22)
// compiled by protoc-gen-go. Nothing here is written by hand: to refresh
// it, replace onnx.proto and run `go generate` in this folder with protoc
// (Debian's protobuf-compiler) and protoc-gen-go of the protobuf version
// go.mod requires on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/dlc-dev/dlc/onnx/onnxpb onnx.proto
