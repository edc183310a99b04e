package driver

import (
	"sync"
	"time"
)

// redrawer calls draw(false) at every tick until Stop, then draw(true) once, so a terminal view
// (the recipes' live view, the toolchain build's line) can clear itself before what follows.
type redrawer struct {
	stop    chan struct{}
	once    sync.Once
	stopped sync.WaitGroup
}

func startRedraw(every time.Duration, draw func(final bool)) *redrawer {
	r := &redrawer{stop: make(chan struct{})}
	r.stopped.Add(1)
	go func() {
		defer r.stopped.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				draw(true)
				return
			case <-t.C:
				draw(false)
			}
		}
	}()
	return r
}

// Stop ends the redrawing after the final draw; a nil redrawer or a second Stop does nothing.
func (r *redrawer) Stop() {
	if r == nil {
		return
	}
	r.once.Do(func() { close(r.stop) })
	r.stopped.Wait()
}
