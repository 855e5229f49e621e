package resolver

import (
	"context"
	"encoding/binary"
	"errors"
	"github.com/straitproxy/strait/internal/straittest"
	"sync"
	"testing"
	"time"
)

// serve answers queries on a loopback UDP socket with reply(query),
// sending nothing when it returns nil.
func serve(t *testing.T, reply func(q []byte) []byte) string {
	t.Helper()
	return straittest.ServeUDP(t, reply)
}

// answer builds a response to q with rcode and records, each given as
// type, TTL and rdata, named by a pointer to the question's name.
func answer(q []byte, rcode byte, recs ...[]byte) []byte {
	r := append([]byte(nil), q...)
	r[2], r[3] = 0x81, 0x80|rcode
	binary.BigEndian.PutUint16(r[6:], uint16(len(recs)))
	for _, rec := range recs {
		r = append(r, 0xc0, 12)
		r = append(r, rec...)
	}
	return r
}

func rr(rtype uint16, ttl uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, rtype)
	b = binary.BigEndian.AppendUint16(b, classIN)
	b = binary.BigEndian.AppendUint32(b, ttl)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func qtype(q []byte) uint16 { return binary.BigEndian.Uint16(q[len(q)-4:]) }

func TestLookupHostTTLAndCodes(t *testing.T) {
	addr := serve(t, func(q []byte) []byte {
		if qtype(q) == typeA {
			return answer(q, 0, rr(typeA, 30, []byte{10, 0, 0, 1}), rr(typeA, 7, []byte{10, 0, 0, 2}))
		}
		return answer(q, 0)
	})
	c := &Client{Servers: []string{addr}, Timeout: 5 * time.Second}
	ans, err := c.LookupHost(context.Background(), "app.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Addrs) != 2 || ans.Addrs[1].IP.String() != "10.0.0.2" || ans.TTL != 7*time.Second {
		t.Errorf("answer %+v, want two addresses and the smallest TTL", ans)
	}
	c.Valid = time.Minute
	if ans, _ := c.LookupHost(context.Background(), "app.test"); ans.TTL != time.Minute {
		t.Errorf("TTL with valid= %v", ans.TTL)
	}

	nx := serve(t, func(q []byte) []byte { return answer(q, NXDomain) })
	_, err = (&Client{Servers: []string{nx}}).LookupHost(context.Background(), "gone.test")
	if err == nil || err.Error() != "3: Host not found" || !errors.Is(err, &Error{Code: NXDomain}) {
		t.Errorf("NXDOMAIN: %v", err)
	}
}

func TestLookupTimesOutOverEveryServer(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	silent := func(name string) func([]byte) []byte {
		return func([]byte) []byte {
			mu.Lock()
			asked[name]++
			mu.Unlock()
			return nil
		}
	}
	c := &Client{Servers: []string{serve(t, silent("one")), serve(t, silent("two"))},
		Timeout: 400 * time.Millisecond, Retry: 100 * time.Millisecond}
	_, err := c.LookupHost(context.Background(), "app.test")
	if err == nil || err.Error() != "110: Operation timed out" {
		t.Fatalf("err %v, want a timeout", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked["one"] == 0 || asked["two"] == 0 {
		t.Errorf("servers asked %v, want both", asked)
	}
}

func TestLookupSRVWithTargetsResolvedSeparately(t *testing.T) {
	addr := serve(t, func(q []byte) []byte {
		switch qtype(q) {
		case typeSRV:
			// priority 1, weight 5, port 8080, target "a.test" uncompressed
			data := []byte{0, 1, 0, 5, 0x1f, 0x90, 1, 'a', 4, 't', 'e', 's', 't', 0}
			return answer(q, 0, rr(typeSRV, 20, data))
		case typeA:
			return answer(q, 0, rr(typeA, 9, []byte{10, 0, 0, 9}))
		}
		return answer(q, 0)
	})
	ans, err := (&Client{Servers: []string{addr}}).LookupSRV(context.Background(), "_app._tcp.svc.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Addrs) != 1 {
		t.Fatalf("answer %+v", ans)
	}
	a := ans.Addrs[0]
	if a.IP.String() != "10.0.0.9" || a.Port != 8080 || a.Target != "a.test" || a.Priority != 1 || a.Weight != 5 || ans.TTL != 9*time.Second {
		t.Errorf("answer %+v ttl %v", a, ans.TTL)
	}
}
