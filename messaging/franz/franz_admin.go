package franz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"openbank/messaging"
	"openbank/topology"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type franzAdmin struct {
	cl  *kadm.Client
	own *kgo.Client // closed with the admin when it was made for it
}

func newFranzAdmin(cl *kgo.Client) *franzAdmin { return &franzAdmin{cl: kadm.NewClient(cl)} }

func (franz) NewAdmin(cfg messaging.Config, log *slog.Logger) (messaging.RawAdmin, error) {
	opts, err := franzOpts(cfg, log)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("create Kafka admin client: %w", err)
	}
	a := newFranzAdmin(cl)
	a.own = cl
	return a, nil
}

func (a *franzAdmin) Close() {
	if a.own != nil {
		a.own.Close()
	}
}

func (a *franzAdmin) Brokers(ctx context.Context) (int, error) {
	bs, err := a.cl.ListBrokers(ctx)
	if err != nil {
		return 0, fmt.Errorf("describe cluster: %w", err)
	}
	return len(bs), nil
}

func (a *franzAdmin) Topics(ctx context.Context, configKeys []string) (map[string]messaging.TopicState, error) {
	details, err := a.cl.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("read cluster metadata: %w", err)
	}
	out := map[string]messaging.TopicState{}
	for name, t := range details {
		if t.Err != nil {
			return nil, fmt.Errorf("metadata of topic %s: %w", name, t.Err)
		}
		rf := 0
		for _, p := range t.Partitions {
			rf = len(p.Replicas)
			break
		}
		out[name] = messaging.TopicState{Partitions: len(t.Partitions), ReplicationFactor: rf, Configs: map[string]string{}}
	}
	if len(out) == 0 || len(configKeys) == 0 {
		return out, nil
	}
	rcs, err := a.cl.DescribeTopicConfigs(ctx, details.Names()...)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", err)
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("configs of topic %s: %w", rc.Name, rc.Err)
		}
		for _, c := range rc.Configs {
			for _, k := range configKeys {
				if c.Key == k {
					out[rc.Name].Configs[k] = c.MaybeValue()
				}
			}
		}
	}
	return out, nil
}

func (a *franzAdmin) CreateTopic(ctx context.Context, topic string, partitions, rf int, configs map[string]string) error {
	cs := map[string]*string{}
	for k, v := range configs {
		cs[k] = &v
	}
	resp, err := a.cl.CreateTopic(ctx, int32(partitions), int16(rf), cs, topic)
	if err != nil {
		return err
	}
	return resp.Err
}

func (a *franzAdmin) AddPartitions(ctx context.Context, topic string, total int) error {
	resps, err := a.cl.UpdatePartitions(ctx, total, topic)
	if err != nil {
		return err
	}
	return resps.Error()
}

func (a *franzAdmin) DeleteTopic(ctx context.Context, topic string) error {
	resp, err := a.cl.DeleteTopic(ctx, topic)
	if err != nil {
		return err
	}
	return resp.Err
}

func (a *franzAdmin) AlterConfigs(ctx context.Context, topic string, configs map[string]string) error {
	var alter []kadm.AlterConfig
	for k, v := range configs {
		alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
	}
	resps, err := a.cl.AlterTopicConfigs(ctx, alter, topic)
	if err != nil {
		return err
	}
	for _, r := range resps {
		if r.Err != nil {
			return fmt.Errorf("%w: %s", r.Err, r.ErrMessage)
		}
	}
	return nil
}

func (a *franzAdmin) Watermarks(ctx context.Context, topic string) (map[int32]messaging.Watermarks, error) {
	starts, err := a.cl.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	ends, err := a.cl.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(starts.Error(), ends.Error()); err != nil {
		return nil, err
	}
	out := map[int32]messaging.Watermarks{}
	for p, s := range starts[topic] {
		e, ok := ends.Lookup(topic, p)
		if !ok {
			return nil, fmt.Errorf("no end offset of partition %d", p)
		}
		out[p] = messaging.Watermarks{Low: s.Offset, High: e.Offset}
	}
	if len(out) == 0 {
		return nil, errors.New("topic not found")
	}
	return out, nil
}

func (a *franzAdmin) Committed(ctx context.Context, group, topic string) (map[int32]int64, error) {
	resps, err := a.cl.FetchOffsetsForTopics(ctx, group, topic)
	if err != nil {
		return nil, err
	}
	if err := resps.Error(); err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for p, r := range resps[topic] {
		if r.At >= 0 {
			out[p] = r.At
		}
	}
	return out, nil
}

func (a *franzAdmin) CommitOffsets(ctx context.Context, group string, next map[messaging.TopicPartition]int64) error {
	os := kadm.Offsets{}
	for tp, o := range next {
		os.Add(kadm.Offset{Topic: tp.Topic, Partition: tp.Partition, At: o, LeaderEpoch: -1})
	}
	resps, err := a.cl.CommitOffsets(ctx, group, os)
	if err == nil {
		err = resps.Error()
	}
	if errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration) ||
		errors.Is(err, kerr.RebalanceInProgress) {
		return fmt.Errorf("%w: %w", messaging.ErrGroupHasMembers, err)
	}
	return err
}

var franzOperations = map[topology.Operation]kadm.ACLOperation{
	topology.OpRead: kadm.OpRead, topology.OpWrite: kadm.OpWrite, topology.OpDescribe: kadm.OpDescribe,
	topology.OpCreate: kadm.OpCreate, topology.OpDelete: kadm.OpDelete, topology.OpAlter: kadm.OpAlter,
	topology.OpDescribeConfigs: kadm.OpDescribeConfigs, topology.OpAlterConfigs: kadm.OpAlterConfigs,
}

func (a *franzAdmin) GrantACLs(ctx context.Context, acls []topology.ACL) error {
	for _, acl := range acls {
		b := kadm.NewACLs().Allow("User:" + acl.Principal).AllowHosts("*").ResourcePatternType(kadm.ACLPatternLiteral)
		if acl.Prefixed {
			b = b.ResourcePatternType(kadm.ACLPatternPrefixed)
		}
		if acl.Kind == topology.ResourceGroup {
			b = b.Groups(acl.Name)
		} else {
			b = b.Topics(acl.Name)
		}
		var ops []kadm.ACLOperation
		for _, o := range acl.Operations {
			op, ok := franzOperations[o]
			if !ok {
				return fmt.Errorf("no Kafka operation %q", o)
			}
			ops = append(ops, op)
		}
		results, err := a.cl.CreateACLs(ctx, b.Operations(ops...))
		if err != nil {
			return fmt.Errorf("%s on %s %s: %w", acl.Principal, acl.Kind, acl.Name, err)
		}
		for _, r := range results {
			if r.Err != nil {
				return fmt.Errorf("%s %s on %s %s: %w", acl.Principal, r.Operation, acl.Kind, acl.Name, r.Err)
			}
		}
	}
	return nil
}
