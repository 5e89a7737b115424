package testbed

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"
)

// Free ports are drawn from below the kernel's ephemeral range (32768+), so outgoing
// connections cannot take them between the choice and the node's bind.
const (
	freePortLow  = 20000
	freePortHigh = 32000
)

// checkPortFree reports ErrPortInUse when something listens on 127.0.0.1:port.
func checkPortFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%w: 127.0.0.1:%d", ErrPortInUse, port)
	}
	return l.Close()
}

// portRange returns n consecutive ports from first, checking each is free; first == 0
// picks a free run at random.
func portRange(first, n int) ([]int, error) {
	if first > 0 {
		ports := make([]int, n)
		for i := range ports {
			ports[i] = first + i
			if err := checkPortFree(ports[i]); err != nil {
				return nil, err
			}
		}
		return ports, nil
	}
	for range 100 {
		start := freePortLow + rand.IntN(freePortHigh-freePortLow-n)
		if ports, err := portRange(start, n); err == nil {
			return ports, nil
		}
	}
	return nil, fmt.Errorf("%w: no run of %d free ports in %d-%d", ErrPortInUse, n, freePortLow, freePortHigh)
}

// Listening reports whether something accepts TCP connections on addr. A dial to a
// loopback port that nothing listens on can still "succeed" when the kernel picks that
// same port as the source (TCP self-connect, possible for ports given by others in the
// ephemeral range); that is not a listener, and is reported as false.
func Listening(addr string, timeout time.Duration) (bool, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	return conn.LocalAddr().String() != conn.RemoteAddr().String(), nil
}
