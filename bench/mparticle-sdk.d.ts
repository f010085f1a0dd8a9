/** The few parts of mParticle's official Node SDK (`mparticle`, CommonJS, untyped) that bench/sdk-forward uses. */
declare module 'mparticle' {
  interface SdkModel {
    [field: string]: unknown;
  }
  interface SdkBatch extends SdkModel {
    addEvent(event: SdkModel): void;
  }
  interface Sdk {
    Configuration: new (apiKey: string, apiSecret: string) => SdkModel;
    EventsApi: new (configuration: SdkModel) => {
      apiClient: { basePath: string };
      uploadEvents(batch: SdkBatch, callback: (error: unknown, data: unknown, response: unknown) => void): void;
    };
    Batch: new (environment: string) => SdkBatch;
    AppEvent: new (customEventType: string, eventName: string) => SdkModel;
    UserIdentities: new () => SdkModel;
    DeviceInformation: new () => SdkModel;
  }
  const sdk: Sdk;
  export default sdk;
}
