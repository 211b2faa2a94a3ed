package franz

import (
	"bytes"
	"sync"

	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kgo"
)

// lz4Compressor writes batches as lz4 frames of 64 KiB blocks, as Kafka's own
// producer and librdkafka do. franz-go's default writer uses 4 MiB blocks: each
// writer, and every reader of its frames, then holds a 4 MiB buffer for
// batches of a few kilobytes, about 8 MiB of a service's heap at work.
type lz4Compressor struct{ writers sync.Pool }

func newLz4Compressor() *lz4Compressor {
	c := &lz4Compressor{}
	c.writers.New = func() any {
		w := lz4.NewWriter(nil)
		// The options are valid constants: Apply cannot fail on a new writer.
		_ = w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.CompressionLevelOption(lz4.Fast))
		return w
	}
	return c
}

// Compress implements kgo.Compressor; Reset keeps the writer's options.
func (c *lz4Compressor) Compress(dst *bytes.Buffer, src []byte, _ ...kgo.CompressFlag) ([]byte, kgo.CompressionCodecType) {
	w := c.writers.Get().(*lz4.Writer)
	defer c.writers.Put(w)
	w.Reset(dst)
	if _, err := w.Write(src); err != nil {
		return nil, kgo.CodecError
	}
	if err := w.Close(); err != nil {
		return nil, kgo.CodecError
	}
	return dst.Bytes(), kgo.CodecLz4
}
