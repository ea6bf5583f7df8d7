package runtime

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/dlc-dev/dlc/runtime/comm"
)

// Data-parallel training: N processes (ranks) under mpirun, srun or a
// Kubernetes MPIJob each train the same model on 1/N of every batch.
//
// The model file's batch B is the global batch. Generated kernels are
// specialised for static shapes, so `dlc build -mpi` compiles the model
// once per world size N it supports, at batch B/N, and the trainer picks
// the build matching the world it finds at start. Every rank reads the
// same data and draws the same shuffle from the seed; rank r trains on rows
// r·B/N to (r+1)·B/N of each global batch. After backward, the gradients
// and the loss are summed over the ranks in rank order (comm.AllreduceSum)
// and divided by N, so every rank makes the same update. Parameters and
// state are broadcast from rank 0 at start (after initialisation or
// resume) and before each evaluation, which every rank runs whole, so that
// every rank reports and decides (early stopping) alike. Rank 0 alone
// prints, writes metrics, plots and checkpoints.

// Ranked is a trainer built for data-parallel runs: one model per world
// size it supports.
type Ranked struct {
	// Batch is the global batch, the model file's.
	Batch int
	// Hash is the architecture's hash at the global batch: the one
	// checkpoints carry, so that a one-process trainer of the model and
	// a run at any world size share them.
	Hash string
	// New makes the model compiled for a world of N ranks (batch Batch/N).
	New map[int]func() Model
}

// Constructor is newModel as a Ranked constructor.
func Constructor[M Model](newModel func() M) func() Model {
	return func() Model { return newModel() }
}

// MainRanks is the main function of a trainer built with `dlc build -mpi`.
// A rank that fails ends the whole run (MPI_Abort) with a message naming
// it, so that no other rank waits for it forever.
func MainRanks(r Ranked) {
	program = invokedAs()
	world, err := comm.World()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
		os.Exit(1)
	}
	stdout, stderr := io.Writer(os.Stdout), io.Writer(os.Stderr)
	if world.Rank() != 0 {
		stdout, stderr = io.Discard, io.Discard
	}
	if err := runRanked(r, world, os.Args[1:], stdout, stderr); err != nil {
		if world.Size() == 1 {
			fmt.Fprintf(os.Stderr, "%s: %v\n", program, err)
			os.Exit(exitStatus(err))
		}
		world.Abort(exitStatus(err), fmt.Sprintf("%s: %v", program, err))
	}
	if err := world.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: rank %d: %v\n", program, world.Rank(), err)
		os.Exit(1)
	}
}

// runRanked is Run for one rank of world: it picks the model built for
// the world's size and trains it on this rank's share of every batch.
func runRanked(r Ranked, world comm.Comm, args []string, stdout, stderr io.Writer) error {
	m, err := r.model(world)
	if err != nil {
		return err
	}
	if world.Size() > 1 && len(args) > 0 {
		if _, ok := subcommands[args[0]]; ok {
			return fmt.Errorf("%s runs in one process: start it without mpirun", args[0])
		}
	}
	return runRank(m, world, args, stdout, stderr)
}

// model is the model for world's size, wrapped to train on this rank's
// share of each global batch.
func (r Ranked) model(world comm.Comm) (Model, error) {
	n := world.Size()
	newModel, ok := r.New[n]
	if !ok {
		return nil, r.unbuilt(n)
	}
	m := newModel()
	if n == 1 {
		return m, nil
	}
	return newSharded(m, r, world)
}

// unbuilt is the error for a world size the trainer has no model for.
func (r Ranked) unbuilt(n int) error {
	sizes := make([]int, 0, len(r.New))
	for k := range r.New {
		sizes = append(sizes, k)
	}
	slices.Sort(sizes)
	built := strings.Trim(fmt.Sprint(sizes), "[]")
	if r.Batch%n != 0 {
		return fmt.Errorf("%d ranks do not divide the batch of %d samples; this trainer runs on %s ranks", n, r.Batch, built)
	}
	return fmt.Errorf("this trainer was built for %s ranks (batch %d), not %d: rebuild with dlc build -mpi -ranks %d", built, r.Batch, n, n)
}
