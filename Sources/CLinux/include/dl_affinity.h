/* CPU affinity: CPU sets are macros Swift cannot call. */
#ifndef DL_AFFINITY_H
#define DL_AFFINITY_H

/* The CPUs this process may run on, in increasing order, at most `max` of them. The count, or -1 and errno. */
int dl_allowed_cpus(int *cpus, int max);

/* Pins the calling thread to `cpu`. 0 or an errno value. */
int dl_pin_current_thread(int cpu);

#endif
