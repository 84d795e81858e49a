/* stub.c - what the CSV reader needs from the rest of tcrm. */
#include "tcrm.h"

volatile int store_stop_signal;
