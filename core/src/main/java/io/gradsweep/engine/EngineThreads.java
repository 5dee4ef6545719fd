package io.gradsweep.engine;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The threads of one network's passes (a multi-core trial): {@code count - 1} worker threads plus the calling
 * thread, which runs slice 0 of every parallel section itself. The workers are daemon threads named
 * {@code gradsweep-engine-<pool>-<k>}, started on the first parallel section and ended by {@link #close()}; a
 * worker idle for {@value #IDLE_SECONDS} seconds ends too (and is started again when needed), so a network that is dropped without being closed leaves
 * no thread behind for long.
 *
 * <p>A layer splits a pass into slices only when the sequence shape pays for it ({@link #slices}): below
 * {@link #minWork} multiply-adds per recurrent product over the sequence the pass runs on the calling thread alone,
 * exactly as a network without threads. The first parallel section also makes OpenBLAS single-threaded for the
 * process ({@link Blas#singleThreadedBlas()}).
 */
final class EngineThreads implements AutoCloseable {
  /** Multiply-adds of the recurrent products of one pass (T * B * hidden * G) below which a pass uses one thread. */
  static final long DEFAULT_MIN_WORK = 32L << 20;
  static final int IDLE_SECONDS = 10;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final int count;
  private final long minWork;
  private final int unitSplitMinHidden;
  private ThreadPoolExecutor pool;
  private boolean closed;

  /** {@code count} threads (the caller's included), with the {@link #DEFAULT_MIN_WORK} threshold. */
  EngineThreads(int count) {
    this(count, DEFAULT_MIN_WORK);
  }

  /** As {@link #EngineThreads(int)} with another threshold (0: split every pass that has two rows or more). */
  EngineThreads(int count, long minWork) {
    this(count, minWork, DEFAULT_UNIT_SPLIT_MIN_HIDDEN);
  }

  /**
   * Hidden size from which a layer that can ({@link RecurrentLayer#unitSlices()}) splits its passes by hidden units
   * instead of examples.
   */
  static final int DEFAULT_UNIT_SPLIT_MIN_HIDDEN = 256;

  /** As {@link #EngineThreads(int, long)}, with passes split by units from this hidden size (tests: small ones). */
  EngineThreads(int count, long minWork, int unitSplitMinHidden) {
    if (unitSplitMinHidden < 1) {
      throw new IllegalArgumentException("engine threads: unit split hidden size must be >= 1, got "
          + unitSplitMinHidden);
    }
    this.unitSplitMinHidden = unitSplitMinHidden;
    if (count < 1) {
      throw new IllegalArgumentException("engine threads must be >= 1, got " + count);
    }
    if (minWork < 0) {
      throw new IllegalArgumentException("engine threads: minimum work must be >= 0, got " + minWork);
    }
    this.count = count;
    this.minWork = minWork;
  }

  int count() {
    return count;
  }

  long minWork() {
    return minWork;
  }

  int unitSplitMinHidden() {
    return unitSplitMinHidden;
  }

  /**
   * Slices of a pass over {@code batch} examples whose recurrent products cost {@code work} multiply-adds: 1 below
   * the threshold, else the thread count, at most one slice per example.
   */
  int slices(int batch, long work) {
    if (count == 1 || work < minWork) {
      return 1;
    }
    return Math.min(count, batch);
  }

  /** First index of slice {@code s} of {@code n} over {@code total} (slices are contiguous and differ by <= 1). */
  static int lo(int s, int n, int total) {
    return (int) ((long) s * total / n);
  }

  /**
   * Runs {@code body} for slices 0..n-1 at once (slice 0 on the calling thread) and returns when all are done; a
   * failure of any slice is thrown after all have ended. With n = 1 it is a plain call.
   */
  void run(int n, IntConsumer body) {
    if (n == 1) {
      body.accept(0);
      return;
    }
    if (n > count) {
      throw new IllegalArgumentException("engine threads: " + n + " slices for " + count + " threads");
    }
    ThreadPoolExecutor p = pool();
    if (p == null) {
      for (int s = 0; s < n; s++) {
        body.accept(s); // closed: the same slices in turn, so the same results
      }
      return;
    }
    Future<?>[] f = new Future<?>[n - 1];
    for (int s = 1; s < n; s++) {
      int slice = s;
      f[s - 1] = p.submit(() -> body.accept(slice));
    }
    RuntimeException failure = null;
    try {
      body.accept(0);
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<?> x : f) {
      try {
        x.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = new IllegalStateException("interrupted while waiting for the engine's threads", e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Whether {@link #run} runs its slices at the same time (each on its own thread), which a section whose slices
   * wait for each other ({@link StepBarrier}) needs: false once {@link #close() closed}, when slices run in turn.
   */
  synchronized boolean concurrent() {
    return count > 1 && !closed;
  }

  /**
   * A reusable barrier for the slices of one {@link #run} section that run at the same time ({@link #concurrent()}):
   * each time step of a pass split by hidden units waits here until every slice has written its part of the step.
   * The waiters spin ({@link Thread#onSpinWait()}), then yield: a step at the shapes that split this way takes about
   * a millisecond, and {@link java.util.concurrent.CyclicBarrier} parks its waiters, whose wake-up alone costs tens of
   * microseconds, hundreds of times per pass. A slice that fails {@linkplain #breakBarrier() breaks} it, so the
   * others stop waiting and fail too instead of hanging.
   */
  static final class StepBarrier {
    private static final int SPINS_BEFORE_YIELD = 1 << 14;
    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int generation;
    private volatile boolean broken;

    StepBarrier(int parties) {
      if (parties < 1) {
        throw new IllegalArgumentException("a barrier needs at least 1 party, got " + parties);
      }
      this.parties = parties;
    }

    /** Waits until all parties have called this for the current step; the last one to arrive releases the others. */
    void await() {
      int g = generation;
      if (arrived.incrementAndGet() == parties) {
        arrived.set(0);
        generation = g + 1;
        return;
      }
      int spins = 0;
      while (generation == g) {
        if (broken) {
          throw new IllegalStateException("another slice of this pass failed");
        }
        if (++spins < SPINS_BEFORE_YIELD) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
    }

    /** Releases the waiters with an exception: one of the parties failed and will never arrive. */
    void breakBarrier() {
      broken = true;
    }
  }

  private synchronized ThreadPoolExecutor pool() {
    if (pool == null && !closed) {
      Blas.singleThreadedBlas();
      int id = POOLS.incrementAndGet();
      AtomicInteger k = new AtomicInteger();
      pool = new ThreadPoolExecutor(count - 1, count - 1, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
          r -> {
            Thread t = new Thread(r, "gradsweep-engine-" + id + "-" + k.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      pool.allowCoreThreadTimeOut(true);
    }
    return pool;
  }

  /**
   * Ends the worker threads (idempotent). Later parallel sections run their slices one after the other on the
   * calling thread: slower, with the same results.
   */
  @Override
  public synchronized void close() {
    closed = true;
    if (pool != null) {
      pool.shutdown();
      pool = null;
    }
  }
}
