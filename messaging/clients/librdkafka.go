//go:build cgo && !nolibrdkafka

package clients

import (
	// librdkafka through cgo; the nolibrdkafka build tag leaves it out.
	_ "openbank/messaging/librdkafka"
)
