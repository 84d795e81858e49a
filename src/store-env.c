#include "tcrm.h"
