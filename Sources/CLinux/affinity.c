/* CPU affinity: CPU sets are macros Swift cannot call. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include "dl_affinity.h"

int dl_allowed_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int count = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE && count < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[count++] = cpu;
	return count;
}

int dl_pin_current_thread(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
