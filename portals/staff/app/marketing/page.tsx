import Marketing from "@/components/Marketing";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default function MarketingPage() {
  return (
    <StaffPage path="/marketing">
      <Restricted permission="analytics.read" what="marketing analytics">
        <Marketing />
      </Restricted>
    </StaffPage>
  );
}
