// Package dsl is the front end of dlc: it reads a model file (the language
// is described in docs/language.md), checks it and lowers it to a forward
// ir.Graph through ops.Builder.
//
// The stages are Lex → Parse (syntax only, to an AST) → check (names,
// calls, blocks, the loss statement) → lower (shapes, parameters, the train
// section). Every error is an *Error, or an errors.Join of several, carrying
// the position of the token at fault; FormatError renders them with the
// source line and a caret.
package dsl
