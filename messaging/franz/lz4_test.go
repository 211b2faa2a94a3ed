package franz

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A frame's descriptor (after the 4-byte magic and the flags byte) holds
// the block size index in bits 4-6: 4 is 64 KiB, 7 is 4 MiB.
func blockSizeIndex(frame []byte) byte { return frame[5] >> 4 & 0x7 }

func TestLz4FramesHave64KiBBlocksAndReadBack(t *testing.T) {
	c := newLz4Compressor()
	read := kgo.DefaultDecompressor()
	for _, size := range []int{1, 300, 64 << 10, 200 << 10} { // one record to several blocks
		src := bytes.Repeat([]byte(fmt.Sprintf("record %d of a batch; ", size)), size/20+1)[:size]
		for range 2 { // a pooled writer is reused with its options
			out, codec := c.Compress(new(bytes.Buffer), src)
			if codec != kgo.CodecLz4 {
				t.Fatalf("%d bytes: codec %v, want lz4", size, codec)
			}
			if got := blockSizeIndex(out); got != 4 {
				t.Fatalf("%d bytes: block size index %d, want 4 (64 KiB)", size, got)
			}
			back, err := read.Decompress(out, kgo.CodecLz4)
			if err != nil || !bytes.Equal(back, src) {
				t.Fatalf("%d bytes: read back %d bytes, %v", size, len(back), err)
			}
		}
	}
}
