package witness

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openova-io/openova/internal/lease"
)

// Store keeps leases and the witness clock in one bbolt file. Every write
// is one transaction that bbolt fsyncs before Commit returns, so a grant is
// on disk before the witness answers it.
type Store struct {
	db *bolt.DB
}

var (
	bucketLeases = []byte("leases")
	bucketMeta   = []byte("meta")
	keyClock     = []byte("clock")
)

// DBFile is the database's name inside --data-dir.
const DBFile = "witness.db"

// record is a lease on disk; durations in nanoseconds of the witness clock.
type record struct {
	Holder    string `json:"holder"`
	Epoch     uint64 `json:"epoch"`
	TTL       int64  `json:"ttlNs"`
	ExpiresAt int64  `json:"expiresAtNs"`
	Released  bool   `json:"released"`
}

// OpenStore opens (creating if needed) the store in dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%s is locked by another process: run one witness per data dir", path)
		}
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketLeases, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Load returns every lease and the last durable witness clock reading.
func (s *Store) Load() (map[string]lease.Lease, time.Duration, error) {
	leases := map[string]lease.Lease{}
	var clock time.Duration
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyClock); len(v) == 8 {
			clock = time.Duration(binary.BigEndian.Uint64(v))
		}
		return tx.Bucket(bucketLeases).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("lease %q: %w", k, err)
			}
			leases[string(k)] = lease.Lease{
				Name: string(k), Holder: r.Holder, Epoch: r.Epoch,
				TTL: time.Duration(r.TTL), ExpiresAt: time.Duration(r.ExpiresAt), Released: r.Released,
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("reading the witness database: %w", err)
	}
	return leases, clock, nil
}

// Put writes l (nil to write only the clock) and the clock reading now, in
// one fsynced transaction. The clock is never written backwards.
func (s *Store) Put(l *lease.Lease, now time.Duration) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyClock); len(v) != 8 || time.Duration(binary.BigEndian.Uint64(v)) < now {
			if err := meta.Put(keyClock, binary.BigEndian.AppendUint64(nil, uint64(now))); err != nil {
				return err
			}
		}
		if l == nil {
			return nil
		}
		b, err := json.Marshal(record{
			Holder: l.Holder, Epoch: l.Epoch, TTL: int64(l.TTL),
			ExpiresAt: int64(l.ExpiresAt), Released: l.Released,
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketLeases).Put([]byte(l.Name), b)
	})
}
