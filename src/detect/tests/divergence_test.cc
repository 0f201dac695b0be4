#include "detect/divergence.h"

#include <cmath>

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

using V = std::vector<double>;

TEST(DivergenceTest, IdenticalDistributionsAreAtZero) {
  const V p{0.5, 0.3, 0.2};
  EXPECT_DOUBLE_EQ(kl_divergence(p, p), 0.0);
  EXPECT_DOUBLE_EQ(l1_distance(p, p), 0.0);
  EXPECT_DOUBLE_EQ(js_divergence(p, p), 0.0);
  EXPECT_DOUBLE_EQ(psi(p, p), 0.0);
}

TEST(DivergenceTest, DisjointDistributionsReachTheUpperBounds) {
  const V p{0.6, 0.4, 0.0, 0.0};
  const V q{0.0, 0.0, 0.3, 0.7};
  EXPECT_DOUBLE_EQ(l1_distance(p, q), 2.0);
  EXPECT_NEAR(js_divergence(p, q), std::log(2.0), 1e-15);
  EXPECT_TRUE(std::isinf(kl_divergence(p, q)));
  EXPECT_TRUE(std::isinf(psi(p, q)));
}

// Expected values from SciPy 1.17 in the river venv (scripts/river_venv), e.g.
//   from scipy.stats import entropy; from scipy.spatial.distance import jensenshannon
//   p=np.array([.5,.3,.2]); q=np.array([.2,.3,.5])
//   entropy(p,q); jensenshannon(p,q)**2; np.abs(p-q).sum(); entropy(p,q)+entropy(q,p)
struct ScipyCase {
  V p, q;
  double kl, js, l1, psi;  // psi < 0: not defined (a zero cell)
};

TEST(DivergenceTest, AsymmetricCasesMatchScipy) {
  const ScipyCase cases[] = {
      {{0.5, 0.3, 0.2},
       {0.2, 0.3, 0.5},
       0.27488721956224654,
       0.066414314382281708,
       0.6,
       0.54977443912449309},
      {{0.9, 0.1}, {0.5, 0.5}, 0.36806420716849708, 0.10174922507919676, 0.8, 0.87888983093448769},
      {{0.7, 0.2, 0.1, 0.0},
       {0.25, 0.25, 0.25, 0.25},
       0.58447580857655346,
       0.16012493713867135,
       0.9,
       -1},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(kl_divergence(c.p, c.q), c.kl, 1e-12);
    EXPECT_NEAR(js_divergence(c.p, c.q), c.js, 1e-12);
    EXPECT_NEAR(js_divergence(c.q, c.p), c.js, 1e-12);  // symmetric
    EXPECT_NEAR(l1_distance(c.p, c.q), c.l1, 1e-12);
    if (c.psi >= 0) {
      EXPECT_NEAR(psi(c.p, c.q), c.psi, 1e-12);
      EXPECT_NEAR(psi(c.q, c.p), c.psi, 1e-12);
    }
  }
}

// a=[90,10,0], b=[50,30,20], alpha 0.5:
//   entropy(a+.5, b+.5) = 0.39154776890982529
//   entropy(a+.5, b+.5) + entropy(b+.5, a+.5) = 1.1717589205917889
TEST(DivergenceTest, SmoothingKeepsKlAndPsiFiniteAndMatchesScipy) {
  const CategoryCounts window{{"tcp", 90}, {"udp", 10}};
  const CategoryCounts reference{{"tcp", 50}, {"udp", 30}, {"icmp", 20}};
  EXPECT_NEAR(compare(window, reference, Measure::kKl, 0.5).value, 0.39154776890982529, 1e-12);
  EXPECT_NEAR(compare(window, reference, Measure::kPsi, 0.5).value, 1.1717589205917889, 1e-12);
}

TEST(DivergenceTest, CompareNamesTheCategoriesThatMoveMost) {
  const CategoryCounts window{{"tcp", 50}, {"udp", 10}, {"arp", 40}};
  const CategoryCounts reference{{"tcp", 50}, {"udp", 48}, {"arp", 2}};
  const auto c = compare(window, reference, Measure::kL1, 0.5, 2);
  EXPECT_NEAR(c.value, 0.76, 1e-12);
  ASSERT_EQ(c.top.size(), 2u);
  EXPECT_EQ(c.top[0].category, "arp");
  EXPECT_NEAR(c.top[0].share, 0.40, 1e-12);
  EXPECT_NEAR(c.top[0].baseline_share, 0.02, 1e-12);
  EXPECT_EQ(c.top[1].category, "udp");
}

TEST(DivergenceTest, TermsSumToTheMeasure) {
  const V p{0.1, 0.6, 0.3}, q{0.3, 0.3, 0.4};
  for (Measure m : {Measure::kJs, Measure::kKl, Measure::kL1, Measure::kPsi}) {
    double s = 0;
    for (double t : contributions(m, p, q)) s += t;
    const double expected = m == Measure::kJs   ? js_divergence(p, q)
                            : m == Measure::kKl ? kl_divergence(p, q)
                            : m == Measure::kL1 ? l1_distance(p, q)
                                                : psi(p, q);
    EXPECT_NEAR(s, expected, 1e-12) << measure_name(m);
  }
}

TEST(DivergenceTest, MeasureNamesRoundTrip) {
  for (Measure m : {Measure::kJs, Measure::kKl, Measure::kL1, Measure::kPsi}) {
    Measure back = Measure::kL1;
    ASSERT_TRUE(parse_measure(measure_name(m), back));
    EXPECT_EQ(back, m);
  }
  Measure x;
  EXPECT_FALSE(parse_measure("hellinger", x));
}

}  // namespace
}  // namespace flowsentry::detect
