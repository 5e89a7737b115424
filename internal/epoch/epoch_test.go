package epoch

import "testing"

func TestFireWakesEveryWaiterAndArmsTheNextChange(t *testing.T) {
	var s Signal
	a, b := s.Wait(), s.Wait()
	s.Fire()
	for _, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Fatal("a waiter taken before Fire was not woken")
		}
	}
	next := s.Wait()
	select {
	case <-next:
		t.Fatal("the channel for the next change is already closed")
	default:
	}
}

func TestFireWithNoWaiterDoesNotPanic(t *testing.T) {
	var s Signal
	s.Fire()
	s.Fire()
}
