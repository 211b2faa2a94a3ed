package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"openbank/topology"
)

// Cluster is the Kafka side: what is there, and the changes the plan needs.
type Cluster interface {
	Brokers(ctx context.Context) (int, error)
	Topics(ctx context.Context, configKeys []string) (map[string]TopicState, error)
	Apply(ctx context.Context, a Action) error
}

// Registry is the schema registry side.
type Registry interface {
	// Lookup returns the id of schema under subject, or found=false.
	Lookup(ctx context.Context, subject, schema string) (id int, found bool, err error)
	// HasSubject says whether subject has any version.
	HasSubject(ctx context.Context, subject string) (bool, error)
	// Compatible checks schema against the subject's versions; reasons say why not.
	Compatible(ctx context.Context, subject, schema string) (ok bool, reasons []string, err error)
	Register(ctx context.Context, subject, schema string) (id int, err error)
}

// Options steer a run.
type Options struct {
	DryRun        bool
	DeleteUnknown bool
}

// Report counts what a run found and did.
type Report struct {
	Created, Changed, Unchanged, Mismatched int
}

// IncompatibleSchemaError is a schema the registry refuses for its subject.
type IncompatibleSchemaError struct {
	Subject string
	Reasons []string
}

func (e *IncompatibleSchemaError) Error() string {
	return fmt.Sprintf("schema for subject %s is incompatible with the registered versions: %v", e.Subject, e.Reasons)
}

// ErrMismatch means the cluster differs from the topology in a way the
// synchronizer does not mend.
var ErrMismatch = errors.New("the cluster does not match the topology")

// Run brings topics and schemas into shape, writing one line per topic and
// subject to out. It returns an error unless the cluster matches at the end
// (or, with DryRun, would match after the planned changes).
func Run(ctx context.Context, cluster Cluster, registry Registry, topics []topology.Topic, opts Options, out io.Writer) (Report, error) {
	var rep Report
	brokers, err := cluster.Brokers(ctx)
	if err != nil {
		return rep, err
	}
	have, err := cluster.Topics(ctx, configKeys(topics))
	if err != nil {
		return rep, err
	}
	prefix := ""
	if opts.DryRun {
		prefix = "would "
	}
	for _, a := range PlanTopics(topics, have, brokers, opts.DeleteUnknown) {
		switch a.Kind {
		case TopicOK, Unknown:
			fmt.Fprintln(out, a)
			if a.Kind == TopicOK {
				rep.Unchanged++
			}
			continue
		case Mismatch:
			fmt.Fprintln(out, a)
			rep.Mismatched++
			continue
		}
		if !opts.DryRun {
			if err := cluster.Apply(ctx, a); err != nil {
				return rep, fmt.Errorf("%v: %w", a, err)
			}
		}
		fmt.Fprintln(out, prefix+a.String())
		if a.Kind == CreateTopic {
			rep.Created++
		} else {
			rep.Changed++
		}
	}
	if err := syncSchemas(ctx, registry, topics, opts, out, prefix, &rep); err != nil {
		return rep, err
	}
	if rep.Mismatched > 0 {
		return rep, fmt.Errorf("%w: %d difference(s) above need a person", ErrMismatch, rep.Mismatched)
	}
	return rep, nil
}

func syncSchemas(ctx context.Context, registry Registry, topics []topology.Topic, opts Options, out io.Writer, prefix string, rep *Report) error {
	for _, t := range topics {
		for _, r := range t.Records {
			subject := topology.Subject(t.Name, r)
			schema := r.Schema().String()
			id, found, err := registry.Lookup(ctx, subject, schema)
			if err != nil {
				return fmt.Errorf("subject %s: %w", subject, err)
			}
			if found {
				fmt.Fprintf(out, "subject %s: already present (id %d)\n", subject, id)
				rep.Unchanged++
				continue
			}
			exists, err := registry.HasSubject(ctx, subject)
			if err != nil {
				return fmt.Errorf("subject %s: %w", subject, err)
			}
			if exists {
				ok, reasons, err := registry.Compatible(ctx, subject, schema)
				if err != nil {
					return fmt.Errorf("subject %s: %w", subject, err)
				}
				if !ok {
					return &IncompatibleSchemaError{Subject: subject, Reasons: reasons}
				}
			}
			verb := "registered"
			if exists {
				verb = "registered new version"
			}
			if !opts.DryRun {
				if id, err = registry.Register(ctx, subject, schema); err != nil {
					return fmt.Errorf("register subject %s: %w", subject, err)
				}
				fmt.Fprintf(out, "subject %s: %s (id %d)\n", subject, verb, id)
			} else {
				fmt.Fprintf(out, "subject %s: %s%s\n", subject, prefix, verb)
			}
			if exists {
				rep.Changed++
			} else {
				rep.Created++
			}
		}
	}
	return nil
}

func configKeys(topics []topology.Topic) []string {
	keys := map[string]bool{}
	for _, t := range topics {
		for k := range t.Configs {
			keys[k] = true
		}
	}
	return slices.Sorted(maps.Keys(keys))
}
